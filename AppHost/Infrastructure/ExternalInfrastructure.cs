namespace Boxoffice.AppHost.Infrastructure;

/// <summary>
/// Managed services (Azure Cache for Redis, Azure Database for PostgreSQL, Event Hubs' Kafka
/// endpoint or Confluent Cloud): their connection strings are secret parameters, given in
/// configuration (<c>ConnectionStrings:redis</c>, ...) or asked for at deployment.
/// </summary>
internal sealed class ExternalInfrastructure : Infrastructure
{
    private readonly IDistributedApplicationBuilder _builder;

    private ExternalInfrastructure(IDistributedApplicationBuilder builder) => _builder = builder;

    public static Infrastructure Add(IDistributedApplicationBuilder builder) => new ExternalInfrastructure(builder)
    {
        Mode = InfraMode.External,
        Redis = WithHealthCheckInRunMode(builder, builder.AddConnectionString("redis"), r => r.WithRedisHealthCheck()),
        Kafka = WithHealthCheckInRunMode(builder, builder.AddConnectionString("kafka"), r => r.WithKafkaHealthCheck()),
    };

    /// <summary>
    /// Deployed, the service signs in to the managed broker as itself over TLS (docs/adr/0013-kafka-logins.md):
    /// a login of its own, asked for at deployment (Event Hubs: the user <c>$ConnectionString</c> and
    /// the connection string of the service's own shared access policy; Confluent Cloud: the
    /// service's API key and secret). A local run against external servers signs in as they ask,
    /// through <c>Messaging:Kafka:Client</c>.
    /// </summary>
    public override IResourceBuilder<ProjectResource> WithKafka(IResourceBuilder<ProjectResource> service)
    {
        base.WithKafka(service);
        if (_builder.ExecutionContext.IsRunMode)
        {
            return service;
        }

        var name = service.Resource.Name;
        return service
            .WithEnvironment("Messaging__Kafka__Client__SecurityProtocol", "SaslSsl")
            .WithEnvironment("Messaging__Kafka__Client__SaslMechanism", "Plain")
            .WithEnvironment("Messaging__Kafka__Client__SaslUsername", _builder.AddParameter($"{name}-kafka-username"))
            .WithEnvironment("Messaging__Kafka__Client__SaslPassword", _builder.AddParameter($"{name}-kafka-password", secret: true));
    }

    public override IResourceBuilder<IResourceWithConnectionString> AddDatabase(string name) =>
        WithHealthCheckInRunMode(_builder, _builder.AddConnectionString(name), r => r.WithPostgresHealthCheck());

    private static IResourceBuilder<T> WithHealthCheckInRunMode<T>(
        IDistributedApplicationBuilder builder, IResourceBuilder<T> resource, Func<IResourceBuilder<T>, IResourceBuilder<T>> addCheck)
        where T : IResourceWithConnectionString =>
        builder.ExecutionContext.IsRunMode ? addCheck(resource) : resource;
}
