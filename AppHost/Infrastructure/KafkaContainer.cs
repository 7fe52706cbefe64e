namespace Boxoffice.AppHost.Infrastructure;

/// <summary>A single-node Kafka broker (KRaft) from the <c>confluentinc/confluent-local</c> image.</summary>
internal sealed class KafkaContainerResource(string name) : ContainerResource(name), IResourceWithConnectionString
{
    public const int ClientPort = 9092;
    public const int InternalPort = 9093;

    /// <summary>For processes on the host: clients reach the broker through the published port.</summary>
    public EndpointReference Primary => field ??= new(this, "tcp");

    /// <summary>For other containers (Kafka UI) on the container network.</summary>
    public EndpointReference Internal => field ??= new(this, "internal");

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Primary.Property(EndpointProperty.HostAndPort)}");
}

internal static class KafkaContainerExtensions
{
    public static IResourceBuilder<KafkaContainerResource> AddKafkaContainer(this IDistributedApplicationBuilder builder, string name)
    {
        var kafka = new KafkaContainerResource(name);
        return builder.AddResource(kafka)
            .WithImage("confluentinc/confluent-local", "7.9.1")
            .WithImageRegistry("docker.io")
            .WithEndpoint(targetPort: KafkaContainerResource.ClientPort, name: "tcp", scheme: "tcp")
            .WithEndpoint(targetPort: KafkaContainerResource.InternalPort, name: "internal", scheme: "tcp")
            .WithEnvironment("KAFKA_LISTENERS",
                "PLAINTEXT://localhost:29092,CONTROLLER://localhost:29093,PLAINTEXT_HOST://0.0.0.0:9092,PLAINTEXT_INTERNAL://0.0.0.0:9093")
            .WithEnvironment("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
                "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,PLAINTEXT_HOST:PLAINTEXT,PLAINTEXT_INTERNAL:PLAINTEXT")
            // Each listener advertises the address its clients can reach: the published host port
            // for host processes, the resource name and container port for other containers.
            .WithEnvironment(context => context.EnvironmentVariables["KAFKA_ADVERTISED_LISTENERS"] =
                context.ExecutionContext.IsRunMode
                    ? ReferenceExpression.Create(
                        $"PLAINTEXT://localhost:29092,PLAINTEXT_HOST://localhost:{kafka.Primary.Property(EndpointProperty.Port)},PLAINTEXT_INTERNAL://{kafka.Name}:{kafka.Internal.Property(EndpointProperty.TargetPort)}")
                    : ReferenceExpression.Create(
                        $"PLAINTEXT://{kafka.Primary.Property(EndpointProperty.Host)}:29092,PLAINTEXT_HOST://{kafka.Primary.Property(EndpointProperty.HostAndPort)},PLAINTEXT_INTERNAL://{kafka.Internal.Property(EndpointProperty.HostAndPort)}"));
    }

    /// <summary>Kafka UI for browsing topics and consumer groups; run mode only, never deployed.</summary>
    public static IResourceBuilder<KafkaContainerResource> WithKafkaUI(this IResourceBuilder<KafkaContainerResource> kafka)
    {
        kafka.ApplicationBuilder.AddContainer($"{kafka.Resource.Name}-ui", "kafbat/kafka-ui", "v1.3.0")
            .WithImageRegistry("docker.io")
            .WithHttpEndpoint(targetPort: 8080)
            .WithEnvironment("KAFKA_CLUSTERS_0_NAME", kafka.Resource.Name)
            .WithEnvironment("KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS",
                ReferenceExpression.Create($"{kafka.Resource.Name}:{kafka.Resource.Internal.Property(EndpointProperty.TargetPort)}"))
            .WithParentRelationship(kafka)
            .WaitFor(kafka)
            .ExcludeFromManifest();
        return kafka;
    }
}
