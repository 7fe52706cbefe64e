using System.Text.Json;
using System.Text.Json.Nodes;

namespace Boxoffice.Tests.AppHost;

/// <summary>The deployment manifest azd consumes is generated from the AppHost and committed.</summary>
public sealed class ManifestTests
{
    private static readonly string Committed = Path.Combine(Repository.Root, "aspire-manifest.json");

    [Fact]
    public async Task The_committed_manifest_is_what_the_AppHost_generates()
    {
        var fresh = await GenerateAsync();

        Assert.True(
            JsonNode.DeepEquals(JsonNode.Parse(await File.ReadAllTextAsync(Committed, TestContext.Current.CancellationToken)), fresh),
            "aspire-manifest.json is stale: regenerate it with 'dotnet run --project AppHost -- --publisher manifest --output-path ../aspire-manifest.json'.");
    }

    [Fact]
    public async Task The_manifest_holds_only_resource_types_azd_deploys()
    {
        string[] deployable = ["project.v0", "project.v1", "container.v0", "container.v1", "parameter.v0", "value.v0"];
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Committed, TestContext.Current.CancellationToken));

        var types = manifest.RootElement.GetProperty("resources").EnumerateObject()
            .Select(resource => (resource.Name, Type: resource.Value.GetProperty("type").GetString()))
            .ToList();

        Assert.NotEmpty(types);
        Assert.All(types, resource => Assert.Contains(resource.Type, deployable));
        Assert.Contains(types, resource => resource is { Name: "gateway", Type: "project.v0" or "project.v1" });
        Assert.Contains(types, resource => resource is { Name: "kafka", Type: "container.v0" or "container.v1" });
    }

    [Fact]
    public async Task A_deployment_calls_a_real_provider_at_a_parameter_and_leaves_the_stand_in_out()
    {
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Committed, TestContext.Current.CancellationToken));
        var resources = manifest.RootElement.GetProperty("resources");

        Assert.False(resources.TryGetProperty("payment-provider", out _), "The stand-in provider, with its chaos, is published only when asked.");
        Assert.False(resources.TryGetProperty("providerdb", out _));
        Assert.False(resources.TryGetProperty("payment-provider-admin-key", out _));
        Assert.Equal("parameter.v0", resources.GetProperty("payment-provider-url").GetProperty("type").GetString());
        var payments = resources.GetProperty("payments").GetProperty("env");
        Assert.Equal("{payment-provider-url.value}", payments.GetProperty("Payments__Provider__Url").GetString());
        Assert.Equal("{payment-provider-api-key.value}", payments.GetProperty("Payments__Provider__ApiKey").GetString());

        // Asked for at deployment, never made up: a real provider's key, and where the platform's proxies are.
        foreach (var parameter in new[] { "payment-provider-api-key", "proxy-networks", "payment-provider-url" })
        {
            var value = resources.GetProperty(parameter).GetProperty("inputs").GetProperty("value");
            Assert.False(value.TryGetProperty("default", out _), $"{parameter} has a default: {value}");
        }
    }

    [Fact]
    public async Task A_stand_in_provider_published_on_request_has_no_chaos_api_and_only_it_holds_its_admin_key()
    {
        var resources = (await GenerateAsync("--PaymentProvider:Deploy", "true"))["resources"]!.AsObject();

        var provider = resources["payment-provider"]!["env"]!.AsObject();
        Assert.Equal("{payment-provider-admin-key.value}", provider["PaymentProvider__AdminKey"]!.GetValue<string>());
        Assert.NotEqual(provider["PaymentProvider__ApiKey"]!.GetValue<string>(), provider["PaymentProvider__AdminKey"]!.GetValue<string>());
        Assert.False(provider.ContainsKey("PaymentProvider__ChaosApiEnabled"), "The published provider must not be told to fail on request.");
        Assert.False(resources["payments"]!["env"]!.AsObject().ContainsKey("Payments__Provider__Url"));

        var holders = resources
            .Where(resource => resource.Value?["env"] is JsonObject env && env.Any(variable => variable.Value?.ToString().Contains("payment-provider-admin-key", StringComparison.Ordinal) == true))
            .Select(resource => resource.Key);
        Assert.Equal(["payment-provider"], holders);
    }

    /// <summary>
    /// OWASP API8: the published broker takes clients only through SASL, each service with a
    /// login of its own (docs/adr/0013-kafka-logins.md); only its own listeners, on its loopback,
    /// are PLAINTEXT.
    /// </summary>
    [Fact]
    public async Task The_published_Kafka_broker_takes_each_service_only_with_a_login_of_its_own()
    {
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Committed, TestContext.Current.CancellationToken));
        var resources = manifest.RootElement.GetProperty("resources");
        var kafka = resources.GetProperty("kafka").GetProperty("env");

        var listeners = kafka.GetProperty("KAFKA_LISTENERS").GetString()!.Split(',');
        var protocols = kafka.GetProperty("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP").GetString()!.Split(',')
            .Select(pair => pair.Split(':')).ToDictionary(pair => pair[0], pair => pair[1]);
        foreach (var listener in listeners)
        {
            var name = listener[..listener.IndexOf(':', StringComparison.Ordinal)];
            var open = listener.Contains("//localhost:", StringComparison.Ordinal);
            Assert.True(open || protocols[name] == "SASL_PLAINTEXT", $"{listener} is reachable from outside the container without a login");
        }

        Assert.Equal(["CLIENT_HOST://0.0.0.0:9092", "CLIENT_INTERNAL://0.0.0.0:9093"], listeners.Where(listener => !listener.Contains("//localhost:", StringComparison.Ordinal)));
        Assert.Equal("PLAIN", kafka.GetProperty("KAFKA_SASL_ENABLED_MECHANISMS").GetString());
        // The image's REST proxy reaches the broker through its loopback listener, without a login: it must stay on the loopback too.
        Assert.Equal("http://127.0.0.1:8082", kafka.GetProperty("KAFKA_REST_LISTENERS").GetString());
        // The image's start-up asks for KAFKA_OPTS (a JAAS file) when an advertised listener is named SASL_*: ours are not.
        Assert.DoesNotContain("SASL_", kafka.GetProperty("KAFKA_ADVERTISED_LISTENERS").GetString(), StringComparison.Ordinal);

        string[] clients = ["booking", "catalog", "payments", "waiting-room"];
        var users = kafka.GetProperty("KAFKA_LISTENER_NAME_CLIENT__HOST_PLAIN_SASL_JAAS_CONFIG").GetString()!;
        Assert.Equal(users, kafka.GetProperty("KAFKA_LISTENER_NAME_CLIENT__INTERNAL_PLAIN_SASL_JAAS_CONFIG").GetString());
        Assert.Equal(
            "org.apache.kafka.common.security.plain.PlainLoginModule required" + string.Concat(clients.Select(client => $" user_{client}=\"{{{client}-kafka-password.value}}\"")) + ";",
            users);

        foreach (var client in clients)
        {
            var env = resources.GetProperty(client).GetProperty("env");
            Assert.Equal("SaslPlaintext", env.GetProperty("Messaging__Kafka__Client__SecurityProtocol").GetString());
            Assert.Equal("Plain", env.GetProperty("Messaging__Kafka__Client__SaslMechanism").GetString());
            Assert.Equal(client, env.GetProperty("Messaging__Kafka__Client__SaslUsername").GetString());
            Assert.Equal($"{{{client}-kafka-password.value}}", env.GetProperty("Messaging__Kafka__Client__SaslPassword").GetString());
            Assert.True(resources.GetProperty($"{client}-kafka-password").GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean());

            // Nobody else holds the service's password: not another service, not the gateway.
            var holders = resources.EnumerateObject()
                .Where(resource => resource.Name != "kafka" && resource.Value.TryGetProperty("env", out var other)
                    && other.EnumerateObject().Any(variable => variable.Value.GetString()?.Contains($"{{{client}-kafka-password.value}}", StringComparison.Ordinal) == true))
                .Select(resource => resource.Name);
            Assert.Equal([client], holders);
        }

        foreach (var service in new[] { "gateway", "identity" })
        {
            Assert.False(resources.GetProperty(service).GetProperty("env").TryGetProperty("ConnectionStrings__kafka", out _), $"{service} uses no Kafka and gets no connection to it");
        }
    }

    /// <summary>The manifest the AppHost publishes with these arguments, written beside the committed one (so relative project paths match).</summary>
    private static async Task<JsonNode> GenerateAsync(params string[] arguments)
    {
        var fresh = Path.Combine(Repository.Root, $".aspire-manifest.{Guid.NewGuid():N}.json");
        try
        {
            var result = await ProcessRunner.RunDotnetAsync(
                Repository.Output("AppHost", "AppHost"),
                ["--publisher", "manifest", "--output-path", fresh, .. arguments],
                null,
                TimeSpan.FromMinutes(2),
                TestContext.Current.CancellationToken);

            Assert.True(result.ExitCode == 0, result.Output + result.Error);
            return JsonNode.Parse(await File.ReadAllTextAsync(fresh, TestContext.Current.CancellationToken))!;
        }
        finally
        {
            File.Delete(fresh);
        }
    }
}
