using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;

namespace Boxoffice.Tests;

/// <summary>Collects every log line the application's services write, for tests that check what is (not) logged.</summary>
public sealed class ResourceLogs : IDisposable
{
    private static readonly string[] Services = ["gateway", "identity", "catalog", "booking", "payments", "waiting-room", "payment-provider"];
    private readonly ConcurrentQueue<(string Resource, string Line)> _lines = new();
    private readonly CancellationTokenSource _stop = new();

    public ResourceLogs(DistributedApplication app)
    {
        var logs = app.Services.GetRequiredService<ResourceLoggerService>();
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        foreach (var resource in model.Resources.Where(resource => Services.Contains(resource.Name)))
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await foreach (var batch in logs.WatchAsync(resource).WithCancellation(_stop.Token))
                    {
                        foreach (var line in batch)
                        {
                            _lines.Enqueue((resource.Name, line.Content));
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
        }
    }

    public IReadOnlyList<(string Resource, string Line)> Lines => [.. _lines];

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }
}
