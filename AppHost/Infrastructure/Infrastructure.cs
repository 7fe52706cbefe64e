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

    /// <summary>A database owned by one service; the resource name is the connection name.</summary>
    public abstract IResourceBuilder<IResourceWithConnectionString> AddDatabase(string name);

    public static Infrastructure Add(IDistributedApplicationBuilder builder, InfraMode mode) => mode switch
    {
        InfraMode.Containers => ContainerInfrastructure.Add(builder),
        InfraMode.Embedded => EmbeddedInfrastructure.Add(builder),
        InfraMode.External => ExternalInfrastructure.Add(builder),
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
    };
}
