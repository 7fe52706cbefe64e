namespace Boxoffice.AppHost.Infrastructure;

/// <summary>
/// A single-node Kafka broker (KRaft) from the <c>confluentinc/confluent-local</c> image. Clients
/// authenticate with SASL PLAIN, each with a login of its own (<see cref="Logins"/>); only the
/// broker's own listeners, bound to its loopback, are PLAINTEXT. docs/adr/0013-kafka-logins.md.
/// </summary>
internal sealed class KafkaContainerResource(string name) : ContainerResource(name), IResourceWithConnectionString
{
    public const int ClientPort = 9092;
    public const int InternalPort = 9093;

    /// <summary>For processes on the host: clients reach the broker through the published port.</summary>
    public EndpointReference Primary => field ??= new(this, "tcp");

    /// <summary>For other containers (Kafka UI) on the container network.</summary>
    public EndpointReference Internal => field ??= new(this, "internal");

    /// <summary>The broker's users: one per client (each service, the AppHost's health check, Kafka UI) and its password.</summary>
    public Dictionary<string, ParameterResource> Logins { get; } = [];

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Primary.Property(EndpointProperty.HostAndPort)}");

    /// <summary>The broker's JAAS configuration for SASL PLAIN: every login with its password.</summary>
    public ReferenceExpression UsersExpression() =>
        KafkaContainerExtensions.PlainLoginModule(Logins.OrderBy(login => login.Key, StringComparer.Ordinal).Select(login => ($"user_{login.Key}", (object)login.Value)));
}

internal static class KafkaContainerExtensions
{
    /// <summary>The SASL mechanism the broker's client listeners take.</summary>
    public const string Mechanism = "PLAIN";

    public static IResourceBuilder<KafkaContainerResource> AddKafkaContainer(this IDistributedApplicationBuilder builder, string name)
    {
        var kafka = new KafkaContainerResource(name);
        return builder.AddResource(kafka)
            .WithImage("confluentinc/confluent-local", "7.9.1")
            .WithImageRegistry("docker.io")
            .WithEndpoint(targetPort: KafkaContainerResource.ClientPort, name: "tcp", scheme: "tcp")
            .WithEndpoint(targetPort: KafkaContainerResource.InternalPort, name: "internal", scheme: "tcp")
            // The broker's own listeners (PLAINTEXT, CONTROLLER) are bound to the container's
            // loopback; clients reach only the SASL ones.
            .WithEnvironment("KAFKA_LISTENERS",
                "PLAINTEXT://localhost:29092,CONTROLLER://localhost:29093,CLIENT_HOST://0.0.0.0:9092,CLIENT_INTERNAL://0.0.0.0:9093")
            .WithEnvironment("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
                "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,CLIENT_HOST:SASL_PLAINTEXT,CLIENT_INTERNAL:SASL_PLAINTEXT")
            .WithEnvironment("KAFKA_INTER_BROKER_LISTENER_NAME", "PLAINTEXT")
            // The image's REST proxy talks to the broker as itself: reachable on its loopback only.
            .WithEnvironment("KAFKA_REST_LISTENERS", "http://127.0.0.1:8082")
            .WithEnvironment("KAFKA_SASL_ENABLED_MECHANISMS", Mechanism)
            .WithEnvironment("KAFKA_LISTENER_NAME_CLIENT__HOST_SASL_ENABLED_MECHANISMS", Mechanism)
            .WithEnvironment("KAFKA_LISTENER_NAME_CLIENT__INTERNAL_SASL_ENABLED_MECHANISMS", Mechanism)
            // Read when the container starts, after every client has added its login.
            .WithEnvironment(context =>
            {
                context.EnvironmentVariables["KAFKA_LISTENER_NAME_CLIENT__HOST_PLAIN_SASL_JAAS_CONFIG"] = kafka.UsersExpression();
                context.EnvironmentVariables["KAFKA_LISTENER_NAME_CLIENT__INTERNAL_PLAIN_SASL_JAAS_CONFIG"] = kafka.UsersExpression();
            })
            // Each listener advertises the address its clients can reach: the published host port
            // for host processes, the resource name and container port for other containers.
            .WithEnvironment(context => context.EnvironmentVariables["KAFKA_ADVERTISED_LISTENERS"] =
                context.ExecutionContext.IsRunMode
                    ? ReferenceExpression.Create(
                        $"PLAINTEXT://localhost:29092,CLIENT_HOST://localhost:{kafka.Primary.Property(EndpointProperty.Port)},CLIENT_INTERNAL://{kafka.Name}:{kafka.Internal.Property(EndpointProperty.TargetPort)}")
                    : ReferenceExpression.Create(
                        $"PLAINTEXT://{kafka.Primary.Property(EndpointProperty.Host)}:29092,CLIENT_HOST://{kafka.Primary.Property(EndpointProperty.HostAndPort)},CLIENT_INTERNAL://{kafka.Internal.Property(EndpointProperty.HostAndPort)}"));
    }

    /// <summary>A login of the broker for <paramref name="login"/>, with a generated secret password of its own.</summary>
    public static ParameterResource AddLogin(this IResourceBuilder<KafkaContainerResource> kafka, string login)
    {
        if (!kafka.Resource.Logins.TryGetValue(login, out var password))
        {
            password = kafka.ApplicationBuilder.AddGeneratedSecret($"{login}-kafka-password").Resource;
            kafka.Resource.Logins.Add(login, password);
        }

        return password;
    }

    /// <summary>
    /// The service references the broker and signs in as itself: its Kafka clients read the login
    /// from <c>Messaging:Kafka:Client</c> (Services/Messaging/KafkaExtensions.cs).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithKafkaLogin(this IResourceBuilder<ProjectResource> service, IResourceBuilder<KafkaContainerResource> kafka)
    {
        var password = kafka.AddLogin(service.Resource.Name);
        return service
            .WithEnvironment("Messaging__Kafka__Client__SecurityProtocol", "SaslPlaintext")
            .WithEnvironment("Messaging__Kafka__Client__SaslMechanism", "Plain")
            .WithEnvironment("Messaging__Kafka__Client__SaslUsername", service.Resource.Name)
            .WithEnvironment("Messaging__Kafka__Client__SaslPassword", password);
    }

    /// <summary>
    /// A JAAS configuration of Kafka's PLAIN login module: options whose values are text or a
    /// secret parameter (the broker's <c>user_NAME="password"</c> list, a client's username and password).
    /// </summary>
    public static ReferenceExpression PlainLoginModule(IEnumerable<(string Option, object Value)> options)
    {
        var jaas = new ReferenceExpressionBuilder();
        jaas.AppendLiteral("org.apache.kafka.common.security.plain.PlainLoginModule required");
        foreach (var (option, value) in options)
        {
            jaas.AppendLiteral($" {option}=\"");
            if (value is ParameterResource parameter)
            {
                jaas.AppendFormatted(parameter);
            }
            else
            {
                jaas.AppendLiteral((string)value);
            }

            jaas.AppendLiteral("\"");
        }

        jaas.AppendLiteral(";");
        return jaas.Build();
    }

    /// <summary>Kafka UI for browsing topics and consumer groups; run mode only, never deployed.</summary>
    public static IResourceBuilder<KafkaContainerResource> WithKafkaUI(this IResourceBuilder<KafkaContainerResource> kafka)
    {
        var ui = $"{kafka.Resource.Name}-ui";
        var password = kafka.AddLogin(ui);
        kafka.ApplicationBuilder.AddContainer(ui, "kafbat/kafka-ui", "v1.3.0")
            .WithImageRegistry("docker.io")
            .WithHttpEndpoint(targetPort: 8080)
            .WithEnvironment("KAFKA_CLUSTERS_0_NAME", kafka.Resource.Name)
            .WithEnvironment("KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS",
                ReferenceExpression.Create($"{kafka.Resource.Name}:{kafka.Resource.Internal.Property(EndpointProperty.TargetPort)}"))
            .WithEnvironment("KAFKA_CLUSTERS_0_PROPERTIES_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
            .WithEnvironment("KAFKA_CLUSTERS_0_PROPERTIES_SASL_MECHANISM", Mechanism)
            .WithEnvironment("KAFKA_CLUSTERS_0_PROPERTIES_SASL_JAAS_CONFIG", PlainLoginModule([("username", ui), ("password", password)]))
            .WithParentRelationship(kafka)
            .WaitFor(kafka)
            .ExcludeFromManifest();
        return kafka;
    }
}
