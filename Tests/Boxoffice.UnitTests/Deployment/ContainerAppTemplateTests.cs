using System.Text.Json;
using System.Text.RegularExpressions;
using Boxoffice.Contracts;
using YamlDotNet.Serialization;

namespace Boxoffice.UnitTests.Deployment;

/// <summary>
/// azd's per-service container-app templates (AppHost/infra/&lt;service&gt;.tmpl.yaml), read as the
/// operator's platform will run them: probes on the endpoints each service serves, scale rules and
/// replica bounds that suit what runs in it, secrets only as Key Vault references, and the same
/// settings the AppHost's manifest gives each service, filled from what infra/ provisions.
/// </summary>
public sealed partial class ContainerAppTemplateTests
{
    private static readonly string Templates = Repository.PathOf("AppHost/infra");

    /// <summary>What keeps each service busy between requests, so it never scales to zero.</summary>
    private static readonly Dictionary<string, string> BackgroundWork = new()
    {
        ["gateway"] = "the waiting room's queue snapshots and seen-buyer batches, and the first request of a sale",
        ["identity"] = "signing-key rotation",
        ["catalog"] = "its outbox relay and cache-invalidation consumer",
        ["booking"] = "its outbox relay, the hold-expiry sweeper and the sale counter",
        ["waiting-room"] = "the admission ticker and its outbox relay",
        ["payments"] = "the order consumer and the reconciliation sweep",
    };

    private static readonly string[] HttpScaled = ["gateway", "catalog", "booking", "identity"];

    public static TheoryData<string> Services() => [.. ManifestProjects().Keys.Order(StringComparer.Ordinal)];

    [Fact]
    public void Every_deployed_project_has_a_template_and_every_template_a_project()
    {
        var templates = Directory.EnumerateFiles(Templates, "*.tmpl.yaml").Select(file => Path.GetFileName(file)[..^".tmpl.yaml".Length]).Order(StringComparer.Ordinal);

        Assert.Equal(ManifestProjects().Keys.Order(StringComparer.Ordinal), templates);
        Assert.Contains("payments", templates);
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Probes_check_liveness_readiness_and_start_up_where_the_service_serves_them(string service)
    {
        var template = Template(service);
        var container = Single(Map(Map(template["properties"])["template"])["containers"]);
        var env = Environment(container);
        // azd's port for a project's http binding (targetPortOrDefault 8080), and the service is told it.
        const int appPort = 8080;
        Assert.Equal("8080", env["HTTP_PORTS"].Value);
        // The gateway serves its probes on a port of its own (Management:Port), never the public one:
        // the manifest's management binding.
        var management = ManifestBindingTargetPort(service, "management");
        var probePort = management ?? appPort;
        if (management is not null)
        {
            Assert.Equal(management.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), env["Management__Port"].Value);
        }

        var probes = List(container["probes"]).Select(Map).ToDictionary(probe => Text(probe["type"]), StringComparer.Ordinal);
        Assert.Equal(["Liveness", "Readiness", "Startup"], probes.Keys.Order(StringComparer.Ordinal));
        foreach (var (type, path) in new[] { ("Liveness", "/alive"), ("Readiness", "/health"), ("Startup", "/alive") })
        {
            var probe = probes[type];
            var get = Map(probe["httpGet"]);
            Assert.Equal(path, Text(get["path"]));
            Assert.Equal(probePort, int.Parse(Text(get["port"]), System.Globalization.CultureInfo.InvariantCulture));

            // Container Apps' bounds: a probe outside them fails the whole deployment.
            Assert.InRange(Number(probe, "failureThreshold"), 1, 10);
            Assert.InRange(Number(probe, "periodSeconds"), 1, 240);
            Assert.InRange(Number(probe, "timeoutSeconds"), 1, 240);
            if (probe.ContainsKey("initialDelaySeconds"))
            {
                Assert.InRange(Number(probe, "initialDelaySeconds"), 0, 60);
            }
        }

        // /health checks PostgreSQL, Redis and the broker: more than a cold connection's second.
        Assert.InRange(Number(probes["Readiness"], "timeoutSeconds"), 3, 240);
        // A slow start (migrations on a cold server) gets half a minute before it counts as failed.
        Assert.True(Number(probes["Startup"], "periodSeconds") * Number(probes["Startup"], "failureThreshold") >= 30);

        var ingress = Map(Map(Map(template["properties"])["configuration"])["ingress"]);
        Assert.Equal(appPort, int.Parse(Text(ingress["targetPort"]), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Replicas_are_bounded_and_only_a_service_with_nothing_running_in_the_background_scales_to_zero(string service)
    {
        var scale = Scale(service);
        var min = int.Parse(Text(scale["minReplicas"]), System.Globalization.CultureInfo.InvariantCulture);
        var max = int.Parse(Text(scale["maxReplicas"]), System.Globalization.CultureInfo.InvariantCulture);

        Assert.InRange(max, Math.Max(min, 1), 30);
        if (BackgroundWork.TryGetValue(service, out var work))
        {
            Assert.True(min >= 1, $"{service} runs {work}: at least one replica must always run");
        }
        else
        {
            Assert.Equal(0, min);
        }

        Assert.NotEmpty(List(scale["rules"]));
    }

    [Fact]
    public void The_request_paths_scale_on_concurrent_requests()
    {
        foreach (var service in HttpScaled)
        {
            var rule = List(Scale(service)["rules"]).Select(Map).Single(rule => rule.ContainsKey("http"));
            var concurrent = int.Parse(Text(Map(Map(rule["http"])["metadata"])["concurrentRequests"]), System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(concurrent, 10, 1_000);
        }
    }

    [Fact]
    public void Payments_scales_on_its_consumer_group_s_lag_and_never_past_the_partitions_it_can_share()
    {
        var scale = Scale("payments");
        var rule = Map(List(scale["rules"]).Select(Map).Single(rule => rule.ContainsKey("custom"))["custom"]);
        Assert.Equal("kafka", Text(rule["type"]));
        var metadata = Map(rule["metadata"]);
        Assert.Equal(Topics.BookingOrders, Text(metadata["topic"]));
        Assert.Equal("payments", Text(metadata["consumerGroup"]));
        Assert.Equal("{{ .Env.BOXOFFICE_KAFKA_BOOTSTRAP }}", Text(metadata["bootstrapServers"]));
        Assert.Equal(("plaintext", "enable"), (Text(metadata["sasl"]), Text(metadata["tls"])));
        Assert.InRange(int.Parse(Text(metadata["lagThreshold"]), System.Globalization.CultureInfo.InvariantCulture), 1, 10_000);

        var auth = List(rule["auth"]).Select(Map).ToDictionary(entry => Text(entry["triggerParameter"]), entry => Text(entry["secretRef"]), StringComparer.Ordinal);
        Assert.Equal(["password", "username"], auth.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("payments-kafka-password", auth["password"]);
        Assert.All(auth.Values, secret => Assert.Contains(secret, DeclaredSecrets(Template("payments")).Keys));

        // A consumer group shares a topic by partitions: replicas beyond them would sit idle.
        var partitions = int.Parse(ResourcesBicepVariable("mainTopicPartitions"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(int.Parse(Text(scale["maxReplicas"]), System.Globalization.CultureInfo.InvariantCulture), 1, partitions);
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Only_the_gateway_is_reachable_from_outside(string service)
    {
        var ingress = Map(Map(Map(Template(service)["properties"])["configuration"])["ingress"]);

        Assert.Equal(service == "gateway" ? "true" : "false", Text(ingress["external"]));
        if (service == "gateway")
        {
            Assert.Equal("false", Text(ingress["allowInsecure"]));
        }
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Secrets_are_Key_Vault_references_never_values(string service)
    {
        var template = Template(service);
        var secrets = DeclaredSecrets(template);
        var vault = KeyVaultSecretNames();

        foreach (var (name, secret) in secrets)
        {
            Assert.False(secret.ContainsKey("value"), $"{service}'s secret {name} is written into the template");
            var url = Text(secret["keyVaultUrl"]);
            Assert.StartsWith("{{ .Env.AZURE_KEY_VAULT_ENDPOINT }}secrets/", url, StringComparison.Ordinal);
            Assert.Contains(url[(url.LastIndexOf('/') + 1)..], vault);
            Assert.Equal("{{ .Env.AZURE_CONTAINER_REGISTRY_MANAGED_IDENTITY_ID }}", Text(secret["identity"]));
        }

        var container = Single(Map(Map(template["properties"])["template"])["containers"]);
        foreach (var (name, variable) in Environment(container))
        {
            Assert.True(variable.Value is null ^ variable.SecretRef is null, $"{service}'s {name} needs a value or a secret reference, not both");
            if (variable.SecretRef is not null)
            {
                Assert.Contains(variable.SecretRef, secrets.Keys);
            }
        }
    }

    /// <summary>
    /// The template gives the service what the AppHost's manifest gives it, no more and no less:
    /// each secret or connection string from the vault, each literal as it is, each address and
    /// parameter from what infra/main.bicep outputs.
    /// </summary>
    [Theory]
    [MemberData(nameof(Services))]
    public void A_template_carries_the_manifest_s_settings_for_its_service(string service)
    {
        var manifest = ManifestProjects()[service];
        var secretParameters = SecretParameters();
        var container = Single(Map(Map(Template(service)["properties"])["template"])["containers"]);
        var env = Environment(container);

        Assert.Equal(manifest.Keys.Append("AZURE_CLIENT_ID").Order(StringComparer.Ordinal), env.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, value) in manifest)
        {
            var reference = ManifestReference().Match(value);
            var secret = reference.Success && reference.Groups[1].Value != "kafka"
                && (reference.Groups[2].Value == "connectionString" || secretParameters.Contains(reference.Groups[1].Value));
            if (secret)
            {
                // {x.value} is the vault's secret x; {db.connectionString}, connection-db.
                var expected = reference.Groups[2].Value == "connectionString" ? $"connection-{reference.Groups[1].Value}" : reference.Groups[1].Value;
                Assert.True(env[name].SecretRef is not null, $"{service}'s {name} is a secret ({value}): it must come from the vault");
                var url = Text(DeclaredSecrets(Template(service))[env[name].SecretRef!]["keyVaultUrl"]);
                Assert.Equal($"{{{{ .Env.AZURE_KEY_VAULT_ENDPOINT }}}}secrets/{expected}", url);
            }
            else if (!value.Contains('{', StringComparison.Ordinal))
            {
                Assert.Equal(value, env[name].Value);
            }
            else
            {
                Assert.True(env[name].Value is not null, $"{service}'s {name} ({value}) has no value");
                Assert.DoesNotContain(value, env[name].Value!, StringComparison.Ordinal);
            }
        }

        // Bindings become the environment's internal names; the issuers the public URL.
        if (manifest.TryGetValue("Authentication__Issuer", out _))
        {
            Assert.Equal("{{ .Env.BOXOFFICE_PUBLIC_URL }}", env["Authentication__Issuer"].Value);
        }

        // Another service by its name in the environment: internal ingress as <name>.internal.<domain>,
        // in the binding's scheme; the gateway (external ingress) by its public name, over https.
        foreach (var (name, variable) in env.Where(variable => variable.Key.StartsWith("services__", StringComparison.Ordinal)))
        {
            var parts = name.Split("__");
            var (target, scheme) = (parts[1], parts[2]);
            var host = ManifestBindingIsExternal(target, scheme) ? $"https://{target}." : $"{scheme}://{target}.internal.";
            Assert.Equal(host + "{{ .Env.AZURE_CONTAINER_APPS_ENVIRONMENT_DEFAULT_DOMAIN }}", variable.Value);
        }
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Every_environment_value_a_template_reads_is_one_the_provisioning_outputs(string service)
    {
        var outputs = MainBicepOutputs();
        var read = TemplateVariable().Matches(File.ReadAllText(Path.Combine(Templates, $"{service}.tmpl.yaml"))).Select(match => match.Groups[1].Value).Distinct().ToList();

        Assert.Contains("AZURE_CONTAINER_APPS_ENVIRONMENT_ID", read);
        // AZURE_LOCATION is azd's own; everything else comes from infra/main.bicep.
        Assert.All(read.Where(name => name != "AZURE_LOCATION"), name => Assert.Contains(name, outputs));
    }

    private sealed record Variable(string? Value, string? SecretRef);

    private static Dictionary<string, Dictionary<string, string>> ManifestProjects()
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Repository.PathOf("aspire-manifest.json")));
        return manifest.RootElement.GetProperty("resources").EnumerateObject()
            .Where(resource => resource.Value.GetProperty("type").GetString()!.StartsWith("project.", StringComparison.Ordinal))
            .ToDictionary(
                resource => resource.Name,
                resource => resource.Value.GetProperty("env").EnumerateObject().ToDictionary(variable => variable.Name, variable => variable.Value.GetString()!, StringComparer.Ordinal),
                StringComparer.Ordinal);
    }

    private static int? ManifestBindingTargetPort(string resource, string binding)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Repository.PathOf("aspire-manifest.json")));
        return manifest.RootElement.GetProperty("resources").GetProperty(resource).GetProperty("bindings").TryGetProperty(binding, out var found)
            && found.TryGetProperty("targetPort", out var port) ? port.GetInt32() : null;
    }

    private static bool ManifestBindingIsExternal(string resource, string binding)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Repository.PathOf("aspire-manifest.json")));
        return manifest.RootElement.GetProperty("resources").GetProperty(resource).GetProperty("bindings").GetProperty(binding).TryGetProperty("external", out var external)
            && external.GetBoolean();
    }

    private static int Number(Dictionary<object, object> node, string key) =>
        int.Parse(Text(node[key]), System.Globalization.CultureInfo.InvariantCulture);

    private static HashSet<string> SecretParameters()
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Repository.PathOf("aspire-manifest.json")));
        return [.. manifest.RootElement.GetProperty("resources").EnumerateObject()
            .Where(resource => resource.Value.TryGetProperty("inputs", out var inputs) && inputs.TryGetProperty("value", out var value)
                && value.TryGetProperty("secret", out var secret) && secret.GetBoolean())
            .Select(resource => resource.Name)];
    }

    /// <summary>The template as YAML, with azd's <c>{{ ... }}</c> placeholders kept as text.</summary>
    private static Dictionary<object, object> Template(string service)
    {
        var text = File.ReadAllText(Path.Combine(Templates, $"{service}.tmpl.yaml"));
        return new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(text);
    }

    private static Dictionary<object, object> Scale(string service) =>
        Map(Map(Map(Template(service)["properties"])["template"])["scale"]);

    private static Dictionary<string, Dictionary<object, object>> DeclaredSecrets(Dictionary<object, object> template) =>
        Map(Map(template["properties"])["configuration"]).TryGetValue("secrets", out var secrets)
            ? List(secrets).Select(Map).ToDictionary(secret => Text(secret["name"]), StringComparer.Ordinal)
            : [];

    private static Dictionary<string, Variable> Environment(Dictionary<object, object> container) =>
        List(container["env"]).Select(Map).ToDictionary(
            variable => Text(variable["name"]),
            variable => new Variable(variable.TryGetValue("value", out var value) ? Text(value) : null, variable.TryGetValue("secretRef", out var secret) ? Text(secret) : null),
            StringComparer.Ordinal);

    /// <summary>The secrets infra/resources.bicep writes into the vault, loops expanded over the lists it declares.</summary>
    private static HashSet<string> KeyVaultSecretNames()
    {
        var resources = File.ReadAllText(Repository.PathOf("infra/resources.bicep"));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match secret in VaultSecretResource().Matches(resources))
        {
            var name = secret.Groups[1].Value;
            if (name == "secret.key")
            {
                names.UnionWith(AppSecretKeys());
            }
            else if (name.Contains("${database}", StringComparison.Ordinal))
            {
                names.UnionWith(ResourcesBicepList("databases").Select(database => name.Trim('\'').Replace("${database}", database, StringComparison.Ordinal)));
            }
            else if (name.Contains("${client}", StringComparison.Ordinal))
            {
                names.UnionWith(ResourcesBicepList("kafkaClients").Select(client => name.Trim('\'').Replace("${client}", client, StringComparison.Ordinal)));
            }
            else
            {
                names.Add(name.Trim('\''));
            }
        }

        Assert.Contains("connection-bookingdb", names);
        return names;
    }

    private static IEnumerable<string> AppSecretKeys()
    {
        var main = File.ReadAllText(Repository.PathOf("infra/main.bicep"));
        var block = main[main.IndexOf("appSecrets: {", StringComparison.Ordinal)..];
        block = block[..block.IndexOf('}', StringComparison.Ordinal)];
        return AppSecretKey().Matches(block).Select(match => match.Groups[1].Value);
    }

    private static IEnumerable<string> ResourcesBicepList(string variable) =>
        QuotedItem().Matches(ResourcesBicepVariable(variable)).Select(match => match.Groups[1].Value);

    private static string ResourcesBicepVariable(string variable)
    {
        var resources = File.ReadAllText(Repository.PathOf("infra/resources.bicep"));
        var match = Regex.Match(resources, $@"^var {variable} = (.+)$", RegexOptions.Multiline);
        Assert.True(match.Success, $"infra/resources.bicep declares no variable {variable}");
        return match.Groups[1].Value.Trim();
    }

    private static HashSet<string> MainBicepOutputs() =>
        [.. BicepOutput().Matches(File.ReadAllText(Repository.PathOf("infra/main.bicep"))).Select(match => match.Groups[1].Value)];

    private static Dictionary<object, object> Map(object node) => Assert.IsType<Dictionary<object, object>>(node);

    private static List<object> List(object node) => Assert.IsType<List<object>>(node);

    private static Dictionary<object, object> Single(object node) => Map(Assert.Single(List(node)));

    private static string Text(object node) => Assert.IsType<string>(node);

    [GeneratedRegex(@"^\{([^.}]+)\.(connectionString|value)\}$")]
    private static partial Regex ManifestReference();

    [GeneratedRegex(@"\{\{ \.Env\.([A-Z0-9_]+) \}\}")]
    private static partial Regex TemplateVariable();

    [GeneratedRegex(@"resource \w+ 'Microsoft\.KeyVault/vaults/secrets@[^']+' = [^\n]*\n(?:[^\n]*\n){0,4}?\s+name: ([^\n]+)\n")]
    private static partial Regex VaultSecretResource();

    [GeneratedRegex(@"'([a-z0-9-]+)': \w+")]
    private static partial Regex AppSecretKey();

    [GeneratedRegex(@"'([^']+)'")]
    private static partial Regex QuotedItem();

    [GeneratedRegex(@"^output (\w+) string", RegexOptions.Multiline)]
    private static partial Regex BicepOutput();
}
