using Boxoffice.AppHost.Monitoring;

namespace Boxoffice.AppHost;

internal static class ServiceResources
{
    /// <summary>
    /// A Boxoffice service: a project whose readiness is its <c>/health</c> endpoint, scraped by Prometheus, and which is
    /// handed only connection strings and service-discovery entries of what it references (not
    /// host, port and password again as separate variables: one place for each secret).
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddService<TProject>(this IDistributedApplicationBuilder builder, string name)
        where TProject : IProjectMetadata, new() =>
        builder.AddProject<TProject>(name)
            .WithReferenceEnvironment(ReferenceEnvironmentInjectionFlags.ConnectionString | ReferenceEnvironmentInjectionFlags.ServiceDiscovery)
            .WithHttpHealthCheck("/health")
            .WithScrape();

    /// <summary>The endpoint of the gateway's probes and scrape, apart from its public one (<c>Management:Port</c>).</summary>
    public const string ManagementEndpoint = "management";

    private const string ManagementPortVariable = "Management__Port";

    /// <summary>
    /// The public edge: a Boxoffice service whose probes and scrape are on a port of their own, never
    /// on the public one; its readiness is checked there.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddEdgeService<TProject>(this IDistributedApplicationBuilder builder, string name)
        where TProject : IProjectMetadata, new() =>
        builder.AddProject<TProject>(name)
            .WithReferenceEnvironment(ReferenceEnvironmentInjectionFlags.ConnectionString | ReferenceEnvironmentInjectionFlags.ServiceDiscovery)
            .WithHttpEndpoint(name: ManagementEndpoint, env: ManagementPortVariable)
            .WithHttpHealthCheck("/health", endpointName: ManagementEndpoint)
            .WithScrape(ManagementPortVariable);

    /// <summary>
    /// The service validates access tokens itself: issued by <paramref name="issuer"/>, signed by a
    /// key it fetches from the identity service (found by service discovery) when the first token
    /// arrives. It does not wait for identity to start: identity's issuer is the gateway's URL, so
    /// the gateway must start first.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithTokenValidation(
        this IResourceBuilder<ProjectResource> service, IResourceBuilder<ProjectResource> identity, ReferenceExpression issuer) =>
        service.WithReference(identity).WithEnvironment("Authentication__Issuer", issuer);

    /// <summary>A secret generated once and kept in the AppHost's user secrets (asked for at deployment).</summary>
    public static IResourceBuilder<ParameterResource> AddGeneratedSecret(this IDistributedApplicationBuilder builder, string name, int minLength = 24) =>
        builder.AddParameter(name, new GenerateParameterDefault { MinLength = minLength, Special = false }, secret: true, persist: true);

    /// <summary>
    /// Registers a client at the identity server by configuration (<c>Identity:Clients:{id}</c>):
    /// its grant types, scopes and, for a browser's code flow, where it may send the user back to.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithIdentityClient(
        this IResourceBuilder<ProjectResource> identity, string clientId, IReadOnlyList<string> grantTypes, IReadOnlyList<string> scopes,
        IReadOnlyList<string>? redirectUris = null, IReadOnlyList<string>? postLogoutRedirectUris = null)
    {
        void List(string name, IReadOnlyList<string>? values)
        {
            for (var index = 0; index < (values?.Count ?? 0); index++)
            {
                identity.WithEnvironment($"Identity__Clients__{clientId}__{name}__{index}", values![index]);
            }
        }

        List("GrantTypes", grantTypes);
        List("Scopes", scopes);
        List("RedirectUris", redirectUris);
        List("PostLogoutRedirectUris", postLogoutRedirectUris);
        return identity;
    }
}
