using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Boxoffice.Messaging.Outbox;

/// <summary>
/// <c>boxoffice.outbox.parked_rows</c>: how many outbox rows wait for a person, read every 30 s
/// (one count through the partial index <c>outbox_parked</c>). Every replica reports the same
/// table's count: aggregate with max, not sum.
/// </summary>
internal sealed partial class ParkedRowsGauge(NpgsqlDataSource db, TimeProvider time, ILogger<ParkedRowsGauge> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);
    private static readonly Meter Meter = new(KafkaTelemetry.Name);
    private static long _parked;
    private static readonly ObservableGauge<long> Parked = Meter.CreateObservableGauge(
        "boxoffice.outbox.parked_rows", () => Interlocked.Read(ref _parked), "{row}", "Outbox rows the broker refused for good, waiting for a person (at the last count).");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        _ = Parked;
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            do
            {
                try
                {
                    await using var connection = await db.OpenConnectionAsync(stoppingToken);
                    Interlocked.Exchange(ref _parked, await ParkedRows.CountAsync(connection, stoppingToken));
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    // The last count stays; the next tick tries again.
                    LogCountFailed(exception);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Counting parked outbox rows failed")]
    private partial void LogCountFailed(Exception exception);
}
