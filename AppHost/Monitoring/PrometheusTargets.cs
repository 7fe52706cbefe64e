using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Boxoffice.AppHost.Monitoring;

/// <summary>
/// Prometheus' file service discovery for the app (<c>targets/&lt;resource&gt;.json</c>): one target per
/// replica of every scraped service, at the port the orchestrator gave that replica (the proxied port
/// would spread scrapes over replicas). A replica stays a target once it has had a port, so one that
/// stops shows <c>up == 0</c> (alert ServiceDown) rather than vanishing. Prometheus reads changed files
/// on its own.
/// </summary>
internal sealed partial class PrometheusTargets(ResourceNotificationService notifications, string folder, ILogger<PrometheusTargets> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, SortedDictionary<string, int>> _ports = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var update in notifications.WatchAsync(stoppingToken))
            {
                if (update.Resource.Annotations.OfType<ScrapedAnnotation>().FirstOrDefault() is not { } scraped
                    || ReplicaPorts.Own(scraped.PortVariable, update.Snapshot) is not { } port)
                {
                    continue;
                }

                var replicas = _ports.GetOrAdd(update.Resource.Name, _ => []);
                lock (replicas)
                {
                    if (replicas.TryGetValue(update.ResourceId, out var known) && known == port)
                    {
                        continue;
                    }

                    replicas[update.ResourceId] = port;
                    try
                    {
                        Write(update.Resource.Name, replicas);
                    }
                    catch (IOException failed)
                    {
                        // The next change writes the whole file again; the app runs on unscraped meanwhile.
                        LogWriteFailed(update.Resource.Name, failed.Message);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Prometheus' targets of {Resource} could not be written: {Error}")]
    private partial void LogWriteFailed(string resource, string error);

    private void Write(string resource, SortedDictionary<string, int> replicas)
    {
        var groups = replicas.Select(replica => new
        {
            targets = new[] { $"127.0.0.1:{replica.Value.ToString(CultureInfo.InvariantCulture)}" },
            labels = new Dictionary<string, string> { ["job"] = resource, ["replica"] = replica.Key },
        });

        // Written aside and moved into place: Prometheus never reads half a file.
        var path = Path.Combine(folder, resource + ".json");
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(groups));
        File.Move(temporary, path, overwrite: true);
    }
}
