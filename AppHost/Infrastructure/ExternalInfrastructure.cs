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

    public override IResourceBuilder<IResourceWithConnectionString> AddDatabase(string name) =>
        WithHealthCheckInRunMode(_builder, _builder.AddConnectionString(name), r => r.WithPostgresHealthCheck());

    private static IResourceBuilder<T> WithHealthCheckInRunMode<T>(
        IDistributedApplicationBuilder builder, IResourceBuilder<T> resource, Func<IResourceBuilder<T>, IResourceBuilder<T>> addCheck)
        where T : IResourceWithConnectionString =>
        builder.ExecutionContext.IsRunMode ? addCheck(resource) : resource;
}
