using System.Globalization;
using Boxoffice.AppHost.Monitoring;

namespace Boxoffice.AppHost;

/// <summary>
/// Where one replica of a Boxoffice service listens itself, apart from the orchestrator's proxy. The
/// proxy spreads calls over a resource's replicas, and so does its health check: a running sibling
/// answers it for a replica that is still starting. Prometheus scrapes each replica here, and the
/// harness and the test suite ask each replica's own <c>/health</c> here before they count it back.
/// </summary>
public static class ReplicaPorts
{
    /// <summary>Whether <paramref name="resource"/> is a Boxoffice service, whose replicas each answer <see cref="OwnHealth"/>.</summary>
    public static bool HasOwnHealth(IResource resource) => resource.Annotations.OfType<ScrapedAnnotation>().Any();

    /// <summary>
    /// The replica's own <c>/health</c> (a Boxoffice service answers it on the port it is scraped
    /// on: <see cref="ServiceResources.AddService{TProject}"/>, <see cref="ServiceResources.AddEdgeService{TProject}"/>);
    /// null for a resource that is not such a service or a replica not given its port yet.
    /// </summary>
    public static Uri? OwnHealth(IResource resource, CustomResourceSnapshot snapshot) =>
        resource.Annotations.OfType<ScrapedAnnotation>().FirstOrDefault() is { } scraped && Own(scraped.PortVariable, snapshot) is { } port
            ? new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/health")
            : null;

    /// <summary>
    /// The replica's own port for the endpoint: the variable the endpoint is given by (Management__Port),
    /// else the HTTP port ASP.NET Core listens on (ASPNETCORE_URLS' first http address, or HTTP_PORTS without it), as the orchestrator set them.
    /// </summary>
    internal static int? Own(string? portVariable, CustomResourceSnapshot snapshot)
    {
        var environment = snapshot.EnvironmentVariables.Where(variable => variable.Value is not null).GroupBy(variable => variable.Name)
            .ToDictionary(group => group.Key, group => group.Last().Value!);
        if (portVariable is { } variable)
        {
            return environment.TryGetValue(variable, out var value) && int.TryParse(value, CultureInfo.InvariantCulture, out var port) ? port : null;
        }

        // Kestrel listens on ASPNETCORE_URLS when it is set, and ignores HTTP_PORTS then.
        if (environment.TryGetValue("ASPNETCORE_URLS", out var urls) && !string.IsNullOrWhiteSpace(urls))
        {
            return urls.Split(';').Select(url => Uri.TryCreate(url.Replace("*", "localhost", StringComparison.Ordinal).Replace("+", "localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri) ? uri : null)
                .FirstOrDefault(uri => uri?.Scheme == "http")?.Port;
        }

        return environment.TryGetValue("HTTP_PORTS", out var ports) && int.TryParse(ports.Split(';')[0], CultureInfo.InvariantCulture, out var httpPort)
            ? httpPort
            : null;
    }
}
