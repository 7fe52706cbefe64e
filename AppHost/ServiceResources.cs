using System.Net;
using System.Net.Sockets;
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

    /// <summary>
    /// In a run, when <paramref name="service"/> runs one instance, callers reach it on its own port rather than through the
    /// orchestrator's proxy: a port free now, outside the range the kernel hands to outgoing connections
    /// (so a crowd's sockets cannot hold it when the instance starts again), the same across restarts.
    /// For a service the tests and the harness kill and start again: DCP's proxy has been seen to accept
    /// connections for a restarted instance and never forward them (docs/adr/0023-provider-without-proxy.md).
    /// Replicas keep the proxy, which spreads calls over them (Aspire refuses a proxy-less endpoint
    /// for more than one), and with it the defect. The count is read as the run starts, so a
    /// caller need not order this after <c>WithReplicas</c>. A published manifest is unchanged.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithoutProxyInRun(this IResourceBuilder<ProjectResource> service, string endpointName = "http")
    {
        if (!service.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            return service;
        }

        service.ApplicationBuilder.Eventing.Subscribe<BeforeStartEvent>((_, _) =>
        {
            if (service.Resource.GetReplicaCount() == 1)
            {
                var endpoint = service.Resource.Annotations.OfType<EndpointAnnotation>().SingleOrDefault(endpoint => endpoint.Name == endpointName)
                    ?? throw new InvalidOperationException($"{service.Resource.Name} has no endpoint '{endpointName}' to reach without the proxy.");
                var port = FreeListeningPort();
                endpoint.IsProxied = false;
                endpoint.Port = port;
                endpoint.TargetPort = port;
            }

            return Task.CompletedTask;
        });
        return service;
    }

    /// <summary>Lowest and highest port tried: below Linux's default range for outgoing connections (32768 to 60999).</summary>
    private const int LowestPort = 20000, HighestPort = 32767;

    /// <summary>The ports given out so far: a free port is not taken until its service starts, so two services could otherwise be given one.</summary>
    private static readonly HashSet<int> GivenPorts = [];

    private static int FreeListeningPort()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = Random.Shared.Next(LowestPort, HighestPort + 1);
            if (IsFree(IPAddress.Loopback, port) && (!Socket.OSSupportsIPv6 || IsFree(IPAddress.IPv6Loopback, port)))
            {
                lock (GivenPorts)
                {
                    if (GivenPorts.Add(port))
                    {
                        return port;
                    }
                }
            }
        }

        throw new InvalidOperationException($"No free port between {LowestPort} and {HighestPort} after 100 tries.");
    }

    /// <summary>
    /// Nothing holds <paramref name="port"/> on <paramref name="address"/>. A loopback the host does
    /// not have (IPv6 switched off) holds nothing either: Kestrel's <c>localhost</c> then listens on
    /// the other one alone.
    /// </summary>
    private static bool IsFree(IPAddress address, int port)
    {
        try
        {
            using var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(address, port));
            listener.Listen();
            return true;
        }
        catch (SocketException failed)
        {
            return failed.SocketErrorCode is not (SocketError.AddressAlreadyInUse or SocketError.AccessDenied);
        }
    }

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
