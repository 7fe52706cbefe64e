namespace Boxoffice.AppHost;

internal static class ServiceResources
{
    /// <summary>
    /// A Boxoffice service: a project whose readiness is its <c>/health</c> endpoint, and which is
    /// handed only connection strings and service-discovery entries of what it references (not
    /// host, port and password again as separate variables: one place for each secret).
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddService<TProject>(this IDistributedApplicationBuilder builder, string name)
        where TProject : IProjectMetadata, new() =>
        builder.AddProject<TProject>(name)
            .WithReferenceEnvironment(ReferenceEnvironmentInjectionFlags.ConnectionString | ReferenceEnvironmentInjectionFlags.ServiceDiscovery)
            .WithHttpHealthCheck("/health");
}
