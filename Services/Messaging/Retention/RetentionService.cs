using System.Diagnostics.Metrics;
using Boxoffice.Postgres;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Boxoffice.Messaging.Retention;

/// <summary>
/// Keeps the service's tables bounded: every <see cref="RetentionOptions.Interval"/>, each
/// <see cref="IRetentionRule"/> deletes its old rows in batches, each batch a short transaction
/// of its own (no long lock, no long transaction holding back vacuum). Replicas take turns with a
/// transaction-scoped advisory lock per batch: a replica that does not get it leaves the rule to
/// the one that has it. The deletes are idempotent anyway, so two replicas would only waste work.
/// </summary>
internal sealed partial class RetentionService(
    NpgsqlDataSource db,
    IEnumerable<IRetentionRule> rules,
    IOptions<RetentionOptions> options,
    TimeProvider time,
    ILogger<RetentionService> logger) : BackgroundService
{
    private static readonly Meter Meter = new(KafkaTelemetry.Name);
    private static readonly Counter<long> Purged = Meter.CreateCounter<long>("boxoffice.retention.purged", "{row}", "Rows deleted by the retention purge, by table.");

    /// <summary>Between two batches of one rule: a backlog (the first purge of a large table) does not hog the database.</summary>
    private static readonly TimeSpan BatchPause = TimeSpan.FromMilliseconds(100);

    private readonly RetentionOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        using var timer = new PeriodicTimer(_options.Interval, time);
        try
        {
            do
            {
                foreach (var rule in rules)
                {
                    await PurgeAsync(rule, stoppingToken);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Deletes a rule's due rows, batch after batch, until a batch finds fewer than a full one.</summary>
    private async Task PurgeAsync(IRetentionRule rule, CancellationToken stoppingToken)
    {
        var before = time.GetUtcNow() - rule.Keep;
        var total = 0L;
        try
        {
            while (true)
            {
                var deleted = await db.RunAsync(
                    async transaction => await transaction.TryLockAsync("boxoffice-retention", stoppingToken)
                        ? await rule.PurgeAsync(transaction, before, _options.BatchSize, stoppingToken)
                        : -1,
                    stoppingToken);
                if (deleted < 0)
                {
                    LogBusy(rule.Table);
                    break;
                }

                if (deleted > 0)
                {
                    total += deleted;
                    Purged.Add(deleted, new KeyValuePair<string, object?>("table", rule.Table));
                }

                if (deleted < _options.BatchSize)
                {
                    break;
                }

                await Task.Delay(BatchPause, time, stoppingToken);
            }
        }
        catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
        {
            // Tried again at the next interval; what was deleted so far stays deleted.
            LogFailed(exception, rule.Table);
        }

        if (total > 0)
        {
            LogPurged(total, rule.Table, before);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Purged {Rows} rows of {Table} older than {Before}")]
    private partial void LogPurged(long rows, string table, DateTimeOffset before);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Another replica is purging; {Table} is left to it")]
    private partial void LogBusy(string table);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purging {Table} failed; it is tried again at the next interval")]
    private partial void LogFailed(Exception exception, string table);
}
