using Aspire.Hosting.Postgres;

namespace Boxoffice.AppHost.Infrastructure;

/// <summary>
/// Redis, PostgreSQL and Kafka as containers (Docker or Podman): Aspire's own Redis and PostgreSQL
/// integrations and a Kafka container (Aspire.Hosting.Kafka is not served here). This is also the
/// shape of the published manifest, which azd deploys.
/// </summary>
internal sealed class ContainerInfrastructure : Infrastructure
{
    private readonly IResourceBuilder<PostgresServerResource> _postgres;

    private ContainerInfrastructure(IResourceBuilder<PostgresServerResource> postgres) => _postgres = postgres;

    public static Infrastructure Add(IDistributedApplicationBuilder builder)
    {
        var redis = builder.AddRedis("redis");
        var postgres = builder.AddPostgres("postgres");
        var kafka = builder.AddKafkaContainer("kafka").WithKafkaHealthCheck();
        if (builder.ExecutionContext.IsRunMode)
        {
            kafka.WithKafkaUI();
        }

        return new ContainerInfrastructure(postgres)
        {
            Mode = InfraMode.Containers,
            Redis = redis,
            Kafka = kafka,
        };
    }

    public override IResourceBuilder<IResourceWithConnectionString> AddDatabase(string name) => _postgres.AddDatabase(name);
}
