namespace Boxoffice.AppHost.Infrastructure;

/// <summary>
/// What services see of the infrastructure, whatever the mode: resources named as the connection
/// strings they provide (<c>redis</c>, <c>kafka</c>, one database per service).
/// </summary>
internal abstract class Infrastructure
{
    public required InfraMode Mode { get; init; }

    public required IResourceBuilder<IResourceWithConnectionString> Redis { get; init; }

    public required IResourceBuilder<IResourceWithConnectionString> Kafka { get; init; }

    /// <summary>
    /// The service uses Kafka: it references the connection and waits for it, and signs in with a
    /// login of its own where the broker asks for one (containers mode).
    /// </summary>
    public virtual IResourceBuilder<ProjectResource> WithKafka(IResourceBuilder<ProjectResource> service) =>
        service.WithReference(Kafka).WaitFor(Kafka);

    /// <summary>A database owned by one service; the resource name is the connection name.</summary>
    public abstract IResourceBuilder<IResourceWithConnectionString> AddDatabase(string name);

    /// <summary>The local state of a run (embedded servers' data, Prometheus' copy and its data): Infra:DataPath, else .boxoffice beside the AppHost.</summary>
    public static string DataPath(IDistributedApplicationBuilder builder) =>
        Path.GetFullPath(builder.Configuration["Infra:DataPath"] ?? Path.Combine(builder.AppHostDirectory, "..", ".boxoffice"));

    public static Infrastructure Add(IDistributedApplicationBuilder builder, InfraMode mode) => mode switch
    {
        InfraMode.Containers => ContainerInfrastructure.Add(builder),
        InfraMode.Embedded => EmbeddedInfrastructure.Add(builder),
        InfraMode.External => ExternalInfrastructure.Add(builder),
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
    };
}
