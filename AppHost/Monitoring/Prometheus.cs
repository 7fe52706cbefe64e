using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Boxoffice.AppHost.Monitoring;

/// <summary>
/// A service scraped by Prometheus (<c>/metrics</c>), every replica a target: on the port in its
/// variable <see cref="PortVariable"/>, or on its HTTP port when null.
/// </summary>
internal sealed class ScrapedAnnotation(string? portVariable) : IResourceAnnotation
{
    public string? PortVariable { get; } = portVariable;
}

/// <summary>
/// Prometheus with the app, in run mode, when the machine has it (Debian's <c>prometheus</c>):
/// the configuration and rules of <c>deploy/prometheus</c>, copied to the local data folder, with
/// targets the AppHost writes for every replica it runs (<see cref="PrometheusTargets"/>). Services'
/// OTLP metrics keep going to the dashboard. A deployment scrapes with Azure Monitor instead.
/// </summary>
internal static class Prometheus
{
    public const string ResourceName = "prometheus";

    /// <summary>Where the dashboard and a provisioned Grafana find it in run mode (not Prometheus' own 9090, which a system service may hold).</summary>
    public const int DefaultPort = 19090;

    /// <summary>The folder of the configuration and rules, beside the AppHost's.</summary>
    public static string SourceFolder(IDistributedApplicationBuilder builder) =>
        Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "deploy", "prometheus"));

    public static IResourceBuilder<ExecutableResource>? AddPrometheus(this IDistributedApplicationBuilder builder, string dataPath)
    {
        if (!builder.ExecutionContext.IsRunMode || !builder.Configuration.GetValue("Prometheus:Enabled", true))
        {
            return null;
        }

        if (FindOnPath(builder.Configuration["Prometheus:Binary"] ?? "prometheus") is not { } binary)
        {
            Console.WriteLine("Prometheus is not installed, so nothing scrapes the services' /metrics here; 'apt-get install prometheus' (Debian) and the next run starts it with the app.");
            return null;
        }

        // A fresh copy each run: the rules as they are in the repository (none a previous run had
        // that the repository no longer has), no targets of a previous run; the stored data stays.
        var folder = Path.Combine(dataPath, "prometheus");
        Directory.CreateDirectory(folder);
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos().Where(entry => entry.Name != "data"))
        {
            if (entry is DirectoryInfo directory)
            {
                directory.Delete(recursive: true);
            }
            else
            {
                entry.Delete();
            }
        }

        var targets = Path.Combine(folder, "targets");
        Directory.CreateDirectory(targets);
        CopyFolder(SourceFolder(builder), folder, skip: "tests");
        builder.Services.AddHostedService(services => new PrometheusTargets(
            services.GetRequiredService<ResourceNotificationService>(), targets, services.GetRequiredService<ILogger<PrometheusTargets>>()));

        // A fixed port (deploy/grafana's data source points at it); tests get a random one.
        var prometheus = builder.AddExecutable(ResourceName, binary, folder)
            .WithHttpEndpoint(name: "http", port: builder.Configuration.GetValue("Prometheus:Port", DefaultPort))
            .WithHttpHealthCheck("/-/ready");
        var endpoint = prometheus.GetEndpoint("http");
        return prometheus.WithArgs(context =>
        {
            context.Args.Add("--config.file=prometheus.yml");
            context.Args.Add("--storage.tsdb.path=data");
            context.Args.Add("--storage.tsdb.retention.time=2d");
            context.Args.Add(ReferenceExpression.Create($"--web.listen-address=127.0.0.1:{endpoint.Property(EndpointProperty.TargetPort)}"));
            context.Args.Add("--web.enable-lifecycle");
        });
    }

    /// <summary>The service's scrape is on its HTTP port, or on the port in its variable <paramref name="portVariable"/>.</summary>
    public static IResourceBuilder<ProjectResource> WithScrape(this IResourceBuilder<ProjectResource> service, string? portVariable = null) =>
        service.WithAnnotation(new ScrapedAnnotation(portVariable));

    private static string? FindOnPath(string name) =>
        Path.IsPathRooted(name)
            ? (File.Exists(name) ? name : null)
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(folder => Path.Combine(folder, name))
                .FirstOrDefault(File.Exists);

    private static void CopyFolder(string from, string to, string skip)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar)[0] == skip)
            {
                continue;
            }

            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
