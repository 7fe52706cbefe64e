using System.Collections.Concurrent;
using System.Diagnostics;

namespace Boxoffice.FlashSale;

/// <summary>
/// Faults injected during the sale, one after another from <see cref="SaleOptions.FaultStart"/>,
/// <see cref="SaleOptions.FaultSpacing"/> apart. Each is named on the command line (<c>--faults</c>).
/// </summary>
public sealed class FaultSchedule(SaleTarget target, SaleOptions options, TextWriter? log)
{
    /// <summary>Every fault the harness knows, in the order <c>--faults all</c> runs them.</summary>
    public static readonly IReadOnlyDictionary<string, string> Known = new Dictionary<string, string>
    {
        ["provider"] = "the payment provider fails 30 % of charges (503) and answers 20 % of them after a 2 s spike, for the whole sale",
        ["booking"] = "one booking replica is killed (SIGKILL) and started again",
        ["kafka"] = "the Kafka broker is down for 10 s",
        ["payments"] = "one payments replica is killed and started again",
        ["redis"] = "Redis is restarted, its data gone",
        ["gateway"] = "one gateway replica is killed and started again",
        ["postgres"] = "PostgreSQL is restarted (fast shutdown, then start)",
    };

    private readonly ConcurrentQueue<string> _events = new();

    /// <summary>What happened, with seconds since the sale opened, for the report.</summary>
    public IReadOnlyCollection<string> Events => _events;

    public string? Current { get; private set; }

    public async Task RunAsync(Stopwatch sinceOpen, CancellationToken cancellationToken)
    {
        var at = options.FaultStart;
        foreach (var fault in options.Faults)
        {
            var wait = at - sinceOpen.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }

            Current = fault;
            Note(sinceOpen, $"{fault}: start");
            try
            {
                Note(sinceOpen, $"{fault}: {await InjectAsync(fault, cancellationToken)}");
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                Note(sinceOpen, $"{fault}: could not inject ({exception.Message})");
                throw;
            }
            finally
            {
                Current = null;
            }

            at += options.FaultSpacing;
        }
    }

    /// <summary>Puts back what a fault left changed (the provider's chaos) once the crowd is done.</summary>
    public async Task CalmAsync(CancellationToken cancellationToken)
    {
        if (options.Faults.Contains("provider"))
        {
            await target.SetProviderChaosAsync(new { }, cancellationToken);
        }
    }

    private async Task<string> InjectAsync(string fault, CancellationToken cancellationToken)
    {
        switch (fault)
        {
            case "provider":
                await target.SetProviderChaosAsync(new { errorRate = 0.3, spikeRate = 0.2, spikeMs = 2000 }, cancellationToken);
                return "chaos on until the crowd is done";
            case "kafka":
                await target.SetBrokerAsync(up: false, cancellationToken);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(10), cancellationToken);
                }
                finally
                {
                    await target.SetBrokerAsync(up: true, CancellationToken.None);
                }

                return "broker up again after 10 s";
            case "booking" or "payments" or "gateway":
                return $"{await Control().KillAndRestartReplicaAsync(fault, cancellationToken)} killed, started and healthy again";
            case "redis":
                return $"{await Control().RestartAsync("redis-server", cancellationToken)} restarted";
            case "postgres":
                return $"{await Control().RestartAsync("postgres", cancellationToken)} restarted";
            default:
                throw new ArgumentException($"Unknown fault '{fault}'. Known: {string.Join(", ", Known.Keys)}.");
        }
    }

    private IResourceControl Control() => target.Resources
        ?? throw new InvalidOperationException("Killing and restarting resources needs the harness to run the AppHost itself (no --gateway).");

    private void Note(Stopwatch sinceOpen, string text)
    {
        var line = $"{sinceOpen.Elapsed.TotalSeconds,6:F1} s  {text}";
        _events.Enqueue(line);
        log?.WriteLine($"fault  {line}");
    }
}
