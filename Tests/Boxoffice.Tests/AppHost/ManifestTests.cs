using System.Text.Json;
using System.Text.Json.Nodes;

namespace Boxoffice.Tests.AppHost;

/// <summary>The deployment manifest azd consumes is generated from the AppHost and committed.</summary>
public sealed class ManifestTests
{
    private static readonly string Committed = PublishedManifest.Committed;

    [Fact]
    public async Task The_committed_manifest_is_what_the_AppHost_generates()
    {
        var fresh = await PublishedManifest.GenerateAsync();

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
    }

    /// <summary>
    /// A container without a volume loses every database and topic at a restart or a new revision:
    /// a deployment takes PostgreSQL, Redis and Kafka as managed services, each a secret
    /// connection-string parameter asked for at deployment.
    /// </summary>
    [Fact]
    public async Task A_deployment_runs_no_database_cache_or_broker_of_its_own_but_takes_managed_ones_as_secret_connection_strings()
    {
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Committed, TestContext.Current.CancellationToken));
        var resources = manifest.RootElement.GetProperty("resources");

        var containers = resources.EnumerateObject().Where(resource => resource.Value.GetProperty("type").GetString()!.StartsWith("container.", StringComparison.Ordinal)).Select(resource => resource.Name);
        Assert.Empty(containers);
        foreach (var name in new[] { "redis", "kafka", "identitydb", "catalogdb", "bookingdb", "paymentsdb", "waitingroomdb" })
        {
            var connection = resources.GetProperty(name);
            Assert.Equal("parameter.v0", connection.GetProperty("type").GetString());
            Assert.Equal($"{{{name}.value}}", connection.GetProperty("connectionString").GetString());
            var input = connection.GetProperty("inputs").GetProperty("value");
            Assert.True(input.GetProperty("secret").GetBoolean(), $"{name}'s connection string holds a password: it must be secret");
            Assert.False(input.TryGetProperty("default", out _), $"{name} has a default: {input}");
        }

        // Each service gets only its own database.
        var databaseUsers = resources.EnumerateObject()
            .Where(resource => resource.Value.TryGetProperty("env", out _))
            .SelectMany(resource => resource.Value.GetProperty("env").EnumerateObject()
                .Where(variable => variable.Name.StartsWith("ConnectionStrings__", StringComparison.Ordinal) && variable.Name.EndsWith("db", StringComparison.Ordinal))
                .Select(variable => (Service: resource.Name, Database: variable.Name["ConnectionStrings__".Length..])))
            .ToList();
        Assert.Equal(
            [("booking", "bookingdb"), ("catalog", "catalogdb"), ("identity", "identitydb"), ("payments", "paymentsdb"), ("waiting-room", "waitingroomdb")],
            databaseUsers.OrderBy(user => user.Service, StringComparer.Ordinal));
    }

    /// <summary>
    /// The platform's ingress ends TLS before the gateway: tokens must name the https address
    /// clients call, which the operator gives as public-url, not the gateway's http binding.
    /// </summary>
    [Fact]
    public async Task Both_issuers_and_the_storefront_s_addresses_are_the_public_url_parameter()
    {
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Committed, TestContext.Current.CancellationToken));
        var resources = manifest.RootElement.GetProperty("resources");

        var publicUrl = resources.GetProperty("public-url");
        Assert.Equal("parameter.v0", publicUrl.GetProperty("type").GetString());
        Assert.False(publicUrl.GetProperty("inputs").GetProperty("value").TryGetProperty("default", out _), "public-url is the deployment's own address: no default");

        var identity = resources.GetProperty("identity").GetProperty("env");
        Assert.Equal("{public-url.value}", identity.GetProperty("Identity__Issuer").GetString());
        Assert.Equal("true", identity.GetProperty("Identity__RequireHttps").GetString());
        Assert.Equal("{public-url.value}/signin-oidc", identity.GetProperty("Identity__Clients__boxoffice-storefront__RedirectUris__0").GetString());
        Assert.Equal("{public-url.value}/signout-callback-oidc", identity.GetProperty("Identity__Clients__boxoffice-storefront__PostLogoutRedirectUris__0").GetString());
        Assert.Equal("{public-url.value}", resources.GetProperty("storefront").GetProperty("env").GetProperty("Storefront__PublicUrl").GetString());

        var validators = resources.EnumerateObject()
            .Where(resource => resource.Value.TryGetProperty("env", out var env) && env.TryGetProperty("Authentication__Issuer", out _))
            .ToDictionary(resource => resource.Name, resource => resource.Value.GetProperty("env").GetProperty("Authentication__Issuer").GetString());
        Assert.Equal(["booking", "catalog", "gateway", "payments", "waiting-room"], validators.Keys.Order(StringComparer.Ordinal));
        Assert.All(validators.Values, issuer => Assert.Equal("{public-url.value}", issuer));
    }

    /// <summary>
    /// OWASP API8, deployed: each service signs in to the managed broker as itself, over TLS, with a
    /// login asked for at deployment that no other resource holds (docs/adr/0013-kafka-logins.md).
    /// </summary>
    [Fact]
    public async Task Each_service_signs_in_to_the_managed_broker_over_TLS_with_a_login_of_its_own()
    {
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Committed, TestContext.Current.CancellationToken));
        var resources = manifest.RootElement.GetProperty("resources");

        var clients = resources.EnumerateObject()
            .Where(resource => resource.Value.TryGetProperty("env", out var env) && env.TryGetProperty("ConnectionStrings__kafka", out _))
            .Select(resource => resource.Name).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["booking", "catalog", "payments", "waiting-room"], clients);
        foreach (var client in clients)
        {
            var env = resources.GetProperty(client).GetProperty("env");
            Assert.Equal("SaslSsl", env.GetProperty("Messaging__Kafka__Client__SecurityProtocol").GetString());
            Assert.Equal("Plain", env.GetProperty("Messaging__Kafka__Client__SaslMechanism").GetString());
            Assert.Equal($"{{{client}-kafka-username.value}}", env.GetProperty("Messaging__Kafka__Client__SaslUsername").GetString());
            Assert.Equal($"{{{client}-kafka-password.value}}", env.GetProperty("Messaging__Kafka__Client__SaslPassword").GetString());
            var password = resources.GetProperty($"{client}-kafka-password").GetProperty("inputs").GetProperty("value");
            Assert.True(password.GetProperty("secret").GetBoolean());
            Assert.False(password.TryGetProperty("default", out _));

            var holders = resources.EnumerateObject()
                .Where(resource => resource.Value.TryGetProperty("env", out var other)
                    && other.EnumerateObject().Any(variable => variable.Value.GetString()?.Contains($"{{{client}-kafka-password.value}}", StringComparison.Ordinal) == true))
                .Select(resource => resource.Name);
            Assert.Equal([client], holders);
        }
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
        var resources = (await PublishedManifest.GenerateAsync("--PaymentProvider:Deploy", "true"))["resources"]!.AsObject();

        var provider = resources["payment-provider"]!["env"]!.AsObject();
        Assert.Equal("{payment-provider-admin-key.value}", provider["PaymentProvider__AdminKey"]!.GetValue<string>());
        Assert.NotEqual(provider["PaymentProvider__ApiKey"]!.GetValue<string>(), provider["PaymentProvider__AdminKey"]!.GetValue<string>());
        Assert.False(provider.ContainsKey("PaymentProvider__ChaosApiEnabled"), "The published provider must not be told to fail on request.");
        Assert.False(resources["payments"]!["env"]!.AsObject().ContainsKey("Payments__Provider__Url"));
        // A run reaches it on a port picked for the run; a deployment's port is the platform's.
        Assert.False(resources["payment-provider"]!["bindings"]!["http"]!.AsObject().ContainsKey("port"), "The published provider must not have the run's port.");

        var holders = resources
            .Where(resource => resource.Value?["env"] is JsonObject env && env.Any(variable => variable.Value?.ToString().Contains("payment-provider-admin-key", StringComparison.Ordinal) == true))
            .Select(resource => resource.Key);
        Assert.Equal(["payment-provider"], holders);
    }

    /// <summary>
    /// OWASP API8: the containers shape's broker (what a developer's run with Docker starts, printed
    /// by <c>--infra containers</c>) takes clients only through SASL, each service with a login of
    /// its own (docs/adr/0013-kafka-logins.md); only its own listeners, on its loopback, are PLAINTEXT.
    /// </summary>
    [Fact]
    public async Task The_containers_shape_s_Kafka_broker_takes_each_service_only_with_a_login_of_its_own()
    {
        var generated = await PublishedManifest.GenerateAsync("--infra", "containers");
        using var manifest = JsonDocument.Parse(generated.ToJsonString());
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
}
