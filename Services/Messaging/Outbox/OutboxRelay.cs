using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using Boxoffice.Postgres;
using Confluent.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Boxoffice.Messaging.Outbox;

/// <summary>
/// Publishes committed outbox rows to Kafka and marks them published once the broker has
/// acknowledged them. One relay works at a time across replicas (a transaction-scoped advisory
/// lock), so rows go out in id order: per aggregate key, the order they were committed in. A row
/// is marked only after its acknowledgement, so a crash between publish and mark sends it again
/// (at least once; consumers de-duplicate by the CloudEvents id). Woken by NOTIFY from the writer,
/// with a poll as a safety net; while the broker is away it retries with a growing pause.
/// </summary>
internal sealed partial class OutboxRelay(
    NpgsqlDataSource db,
    KafkaPublisher publisher,
    IOptions<OutboxOptions> options,
    TimeProvider time,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    private static readonly Meter Meter = new(KafkaTelemetry.Name);
    private static readonly Counter<long> Relayed = Meter.CreateCounter<long>("boxoffice.outbox.published", "{message}", "Outbox rows published and acknowledged.");
    private static readonly Counter<long> Parked = Meter.CreateCounter<long>("boxoffice.outbox.parked", "{message}", "Outbox rows the broker refused for good, set aside for a person.");
    private static readonly Histogram<double> RelayDelay = Meter.CreateHistogram(
        "boxoffice.outbox.relay_delay", "s", "From an outbox row's write (its transaction) to the broker's acknowledgement.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });

    private static double _oldestPendingSeconds;
    private static readonly ObservableGauge<double> Lag = Meter.CreateObservableGauge(
        "boxoffice.outbox.lag", () => Volatile.Read(ref _oldestPendingSeconds), "s", "Age of the oldest unpublished outbox row at the last relay round.");

    private readonly OutboxOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        _ = Lag;
        NpgsqlConnection? listener = null;
        var failures = 0;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    listener ??= await ListenAsync(stoppingToken);
                    var round = await RelayBatchAsync(stoppingToken);
                    failures = 0;
                    if (round == Round.FullBatch)
                    {
                        continue;
                    }

                    // Another replica relays, or nothing is pending: sleep until a writer notifies.
                    await listener.WaitAsync(_options.PollInterval, stoppingToken);
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    failures++;
                    LogRoundFailed(exception, failures);
                    if (listener is not null)
                    {
                        await ReleaseListenerAsync(listener);
                        listener = null;
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(10_000, 250 * Math.Pow(2, Math.Min(failures, 6)))), time, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (listener is not null)
            {
                await ReleaseListenerAsync(listener);
            }
        }
    }

    private async Task<NpgsqlConnection> ListenAsync(CancellationToken cancellationToken)
    {
        var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var listen = connection.Command($"LISTEN {OutboxWriter.Channel}");
        await listen.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    /// <summary>
    /// Stops listening before the connection goes back to the pool: pooled connections are not
    /// reset on return (<see cref="PooledConnections"/>), so the next user would be listening too.
    /// When the UNLISTEN fails, the pool is cleared, which closes this connection on its return
    /// instead of pooling it (and the idle ones now: a rare cost, on a rare path).
    /// </summary>
    private static async Task ReleaseListenerAsync(NpgsqlConnection listener)
    {
        await using (listener)
        {
            try
            {
                await using var unlisten = listener.Command("UNLISTEN *");
                unlisten.CommandTimeout = 5;
                await unlisten.ExecuteNonQueryAsync(CancellationToken.None);
            }
            catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                NpgsqlConnection.ClearPool(listener);
            }
        }
    }

    private enum Round { Idle, FullBatch, Busy }

    /// <summary>
    /// One round, in one transaction that holds the relay lock: read the oldest pending rows,
    /// publish them all, wait for their acknowledgements, mark what the broker took or refused for
    /// good, commit.
    /// </summary>
    private async Task<Round> RelayBatchAsync(CancellationToken stoppingToken)
    {
        await using var connection = await db.OpenConnectionAsync(stoppingToken);
        await using var transaction = await connection.BeginTransactionAsync(stoppingToken);
        if (!await transaction.TryLockAsync("boxoffice-outbox-relay", stoppingToken))
        {
            return Round.Busy;
        }

        var rows = await ReadPendingAsync(transaction, stoppingToken);
        RecordLag(rows);
        if (rows.Count == 0)
        {
            await transaction.CommitAsync(stoppingToken);
            return Round.Idle;
        }

        var deliveries = PublishAll(rows);
        await deliveries.WaitAsync(_options.PublishTimeout, stoppingToken);
        var tally = Tally(rows, deliveries);

        // Whatever the broker acknowledged is marked, even when stopping, so a restart does not send it again.
        await MarkAsync(transaction, tally);
        await transaction.CommitAsync(CancellationToken.None);
        Record(tally, rows);

        stoppingToken.ThrowIfCancellationRequested();
        if (tally.FirstFailure is not null)
        {
            throw new OutboxRelayException($"{rows.Count - tally.Acknowledged.Count - tally.Parked.Count} of {rows.Count} outbox rows were not acknowledged by the broker ({tally.FirstFailure}); they will be sent again.");
        }

        // Rows were waiting: look again at once (more may have come, or the batch was cut by size).
        return Round.FullBatch;
    }

    /// <summary>The oldest rows neither published nor set aside, in id order: BatchSize rows, but no more than MaxBatchBytes of payload (always at least one row).</summary>
    private async Task<List<OutboxRow>> ReadPendingAsync(NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var rows = new List<OutboxRow>();
        await using var select = transaction.Command(
            """
            SELECT id, topic, key, payload, traceparent, tracestate, created_at FROM (
                SELECT *, sum(length(payload)) OVER (ORDER BY id) AS running
                FROM outbox WHERE published_at IS NULL AND failed_at IS NULL ORDER BY id LIMIT $1) AS pending
            WHERE running - length(payload) < $2
            ORDER BY id
            """,
            _options.BatchSize, (long)_options.MaxBatchBytes);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new OutboxRow(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<byte[]>(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.GetFieldValue<DateTimeOffset>(6)));
        }

        return rows;
    }

    /// <summary>The age of the oldest pending row, for <c>boxoffice.outbox.lag</c>.</summary>
    private void RecordLag(List<OutboxRow> rows) =>
        Volatile.Write(ref _oldestPendingSeconds, rows.Count == 0 ? 0 : Math.Max(0, (time.GetUtcNow() - rows[0].CreatedAt).TotalSeconds));

    /// <summary>
    /// Hands every row to the client at once (the idempotent producer keeps their order per
    /// partition); each delivery report lands in the returned <see cref="Deliveries"/>.
    /// </summary>
    private Deliveries PublishAll(List<OutboxRow> rows)
    {
        var deliveries = new Deliveries(rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var index = i;
            try
            {
                Publish(rows[i], report => deliveries.Report(index, report.Error));
            }
            catch (ProduceException<string, byte[]> refused)
            {
                deliveries.Report(index, refused.Error);
            }
        }

        return deliveries;
    }

    private void Publish(OutboxRow row, Action<DeliveryReport<string, byte[]>> delivered)
    {
        var headers = new Headers { { "content-type", ContentType } };
        ActivityContext.TryParse(row.TraceParent, row.TraceState, isRemote: true, out var parent);
        publisher.Produce(row.Topic, row.Key, row.Payload, headers, parent, delivered);
    }

    /// <summary>Sorts the rows by their delivery report: acknowledged, refused for good (parked), or to be sent again.</summary>
    private static RoundTally Tally(List<OutboxRow> rows, Deliveries deliveries)
    {
        var acknowledged = new List<long>(rows.Count);
        var parked = new List<(long Id, string Reason)>();
        string? firstFailure = null;
        for (var i = 0; i < rows.Count; i++)
        {
            switch (deliveries[i])
            {
                case null:
                    firstFailure ??= "no acknowledgement within the publish timeout";
                    break;
                case { IsError: false }:
                    acknowledged.Add(rows[i].Id);
                    break;
                case { } refused when IsPermanent(refused.Code):
                    // The broker will never take this one (too large, not allowed): retrying it forever
                    // would hold back every row behind it. It is set aside, loudly, for a person.
                    parked.Add((rows[i].Id, $"{refused.Code}: {refused.Reason}"));
                    break;
                case { } failed:
                    firstFailure ??= $"{failed.Code}: {failed.Reason}";
                    break;
            }
        }

        return new RoundTally(acknowledged, parked, firstFailure);
    }

    /// <summary>Errors a retry cannot cure: the message itself, or the permission to write it, is wrong.</summary>
    private static bool IsPermanent(ErrorCode code) => code is ErrorCode.MsgSizeTooLarge
        or ErrorCode.InvalidMsg or ErrorCode.InvalidMsgSize or ErrorCode.TopicAuthorizationFailed;

    /// <summary>Sets published_at on the acknowledged rows and failed_at on the parked ones, in one round trip; rows without a report stay pending.</summary>
    private static async Task MarkAsync(NpgsqlTransaction transaction, RoundTally tally)
    {
        if (tally.Acknowledged.Count == 0 && tally.Parked.Count == 0)
        {
            return;
        }

        await using var mark = transaction.Batch(
            Sql.Statement("UPDATE outbox SET published_at = now() WHERE id = ANY($1)", tally.Acknowledged.ToArray()),
            Sql.Statement(
                "UPDATE outbox SET failed_at = now(), last_error = r.reason FROM unnest($1::bigint[], $2::text[]) AS r(id, reason) WHERE outbox.id = r.id",
                tally.Parked.Select(p => p.Id).ToArray(), tally.Parked.Select(p => p.Reason).ToArray()));
        await mark.ExecuteNonQueryAsync(CancellationToken.None);
    }

    /// <summary>Counts and logs what a committed round marked, and how long each published row waited since it was written.</summary>
    private void Record(RoundTally tally, List<OutboxRow> rows)
    {
        Relayed.Add(tally.Acknowledged.Count);
        var published = tally.Acknowledged.ToHashSet();
        var now = time.GetUtcNow();
        foreach (var row in rows.Where(row => published.Contains(row.Id)))
        {
            RelayDelay.Record(Math.Max(0, (now - row.CreatedAt).TotalSeconds));
        }

        foreach (var (id, reason) in tally.Parked)
        {
            Parked.Add(1);
            LogParked(id, reason);
        }
    }

    private static readonly byte[] ContentType = Encoding.UTF8.GetBytes(CloudEvent.ContentType);

    private sealed record OutboxRow(long Id, string Topic, string Key, byte[] Payload, string? TraceParent, string? TraceState, DateTimeOffset CreatedAt);

    /// <summary>What a round's delivery reports said: rows to mark published, rows to set aside, and why any other row goes again.</summary>
    private readonly record struct RoundTally(List<long> Acknowledged, List<(long Id, string Reason)> Parked, string? FirstFailure);

    /// <summary>
    /// The delivery reports of one round, written on the client's delivery thread as the broker
    /// answers: null until a row's report arrives.
    /// </summary>
    private sealed class Deliveries(int count)
    {
        private readonly Error?[] _reports = new Error?[count];
        private readonly TaskCompletionSource _allReported = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _pending = count;

        public Error? this[int index] => Volatile.Read(ref _reports[index]);

        public void Report(int index, Error error)
        {
            Volatile.Write(ref _reports[index], error);
            if (Interlocked.Decrement(ref _pending) == 0)
            {
                _allReported.TrySetResult();
            }
        }

        /// <summary>Until every row has its report, at most <paramref name="timeout"/>, or until stopping.</summary>
        public async Task WaitAsync(TimeSpan timeout, CancellationToken stoppingToken)
        {
            try
            {
                await _allReported.Task.WaitAsync(timeout, stoppingToken);
            }
            catch (Exception exception) when (exception is TimeoutException or OperationCanceledException)
            {
                // Rows without a report are not marked: they go again next round.
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox row {OutboxId} can never be published and was set aside (failed_at): {Reason}")]
    private partial void LogParked(long outboxId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox relay round failed ({Failures} in a row); retrying")]
    private partial void LogRoundFailed(Exception exception, int failures);
}

internal sealed class OutboxRelayException(string message) : Exception(message);
