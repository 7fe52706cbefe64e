using Aspire.Hosting.Postgres;

namespace Boxoffice.AppHost.Infrastructure;

/// <summary>
/// Redis, PostgreSQL and Kafka as containers (Docker or Podman): Aspire's own Redis and PostgreSQL
/// integrations and a Kafka container (Aspire.Hosting.Kafka is not served here). This is also the
/// shape of the published manifest, which azd deploys.
/// </summary>
internal sealed class ContainerInfrastructure : Infrastructure
{
    private readonly IDistributedApplicationBuilder _builder;
    private readonly IResourceBuilder<PostgresServerResource> _postgres;
    private readonly IResourceBuilder<KafkaContainerResource> _kafka;
    private readonly List<string> _databases = [];

    private ContainerInfrastructure(IDistributedApplicationBuilder builder, IResourceBuilder<PostgresServerResource> postgres, IResourceBuilder<KafkaContainerResource> kafka)
    {
        _builder = builder;
        _postgres = postgres;
        _kafka = kafka;
        // The image's entrypoint, after a first-start step that gives each database its login.
        postgres.WithEntrypoint("bash").WithArgs(context =>
        {
            context.Args.Add("-c");
            context.Args.Add(DatabaseLogins.ContainerCommand(builder.AppHostDirectory, _databases));
        });
    }

    public static Infrastructure Add(IDistributedApplicationBuilder builder)
    {
        var redis = builder.AddRedis("redis");
        var postgres = builder.AddPostgres("postgres");
        var kafka = builder.AddKafkaContainer("kafka");
        if (builder.ExecutionContext.IsRunMode)
        {
            // The AppHost's readiness check signs in as a login of its own.
            kafka.WithKafkaHealthCheck("apphost", kafka.AddLogin("apphost"));
            kafka.WithKafkaUI();
        }

        return new ContainerInfrastructure(builder, postgres, kafka)
        {
            Mode = InfraMode.Containers,
            Redis = redis,
            Kafka = kafka,
        };
    }

    /// <summary>The service signs in to the broker as itself (SASL PLAIN, a generated password of its own).</summary>
    public override IResourceBuilder<ProjectResource> WithKafka(IResourceBuilder<ProjectResource> service) =>
        base.WithKafka(service).WithKafkaLogin(_kafka);

    /// <summary>
    /// A database with a login of its own, named as the database, which owns it and may connect to
    /// nothing else; its password is a generated secret. Not Aspire's AddDatabase: that one is
    /// created by the superuser, for the superuser.
    /// </summary>
    public override IResourceBuilder<IResourceWithConnectionString> AddDatabase(string name)
    {
        _databases.Add(name);
        var database = DatabaseLogins.AddDatabase(_builder, _postgres, _postgres.Resource.PrimaryEndpoint, name);
        return _builder.ExecutionContext.IsRunMode ? database.WithPostgresHealthCheck() : database;
    }
}
