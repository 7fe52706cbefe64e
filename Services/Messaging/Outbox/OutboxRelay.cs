using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
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
                        await listener.DisposeAsync();
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
                await listener.DisposeAsync();
            }
        }
    }

    private async Task<NpgsqlConnection> ListenAsync(CancellationToken cancellationToken)
    {
        var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var listen = new NpgsqlCommand($"LISTEN {OutboxWriter.Channel}", connection);
        await listen.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    private enum Round { Idle, FullBatch, Busy }

    private async Task<Round> RelayBatchAsync(CancellationToken stoppingToken)
    {
        await using var connection = await db.OpenConnectionAsync(stoppingToken);
        await using var transaction = await connection.BeginTransactionAsync(stoppingToken);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_try_advisory_xact_lock(hashtext('boxoffice-outbox-relay'))", connection, transaction))
        {
            if (await lockCommand.ExecuteScalarAsync(stoppingToken) is not true)
            {
                return Round.Busy;
            }
        }

        var rows = new List<OutboxRow>();
        await using (var select = new NpgsqlCommand(
            """
            SELECT id, topic, key, payload, traceparent, tracestate, created_at FROM (
                SELECT *, sum(length(payload)) OVER (ORDER BY id) AS running
                FROM outbox WHERE published_at IS NULL AND failed_at IS NULL ORDER BY id LIMIT $1) AS pending
            WHERE running - length(payload) < $2
            ORDER BY id
            """, connection, transaction))
        {
            // BatchSize rows, but no more than MaxBatchBytes of payload (always at least one row).
            select.Parameters.AddWithValue(_options.BatchSize);
            select.Parameters.AddWithValue((long)_options.MaxBatchBytes);
            await using var reader = await select.ExecuteReaderAsync(stoppingToken);
            while (await reader.ReadAsync(stoppingToken))
            {
                rows.Add(new OutboxRow(
                    reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<byte[]>(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                    reader.GetFieldValue<DateTimeOffset>(6)));
            }
        }

        Volatile.Write(ref _oldestPendingSeconds, rows.Count == 0 ? 0 : Math.Max(0, (time.GetUtcNow() - rows[0].CreatedAt).TotalSeconds));
        if (rows.Count == 0)
        {
            await transaction.CommitAsync(stoppingToken);
            return Round.Idle;
        }

        // All handed to the client at once (the idempotent producer keeps their order per
        // partition), then the round waits for every delivery report, up to PublishTimeout; only
        // acknowledged rows are marked.
        var reports = new Error?[rows.Count];
        var pending = rows.Count;
        var allReported = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Report(int index, Error error)
        {
            Volatile.Write(ref reports[index], error);
            if (Interlocked.Decrement(ref pending) == 0)
            {
                allReported.TrySetResult();
            }
        }

        for (var i = 0; i < rows.Count; i++)
        {
            var index = i;
            try
            {
                Publish(rows[i], report => Report(index, report.Error));
            }
            catch (ProduceException<string, byte[]> refused)
            {
                Report(index, refused.Error);
            }
        }

        try
        {
            await allReported.Task.WaitAsync(_options.PublishTimeout, stoppingToken);
        }
        catch (Exception exception) when (exception is TimeoutException or OperationCanceledException)
        {
            // Rows without a report are not marked: they go again next round.
        }

        var acknowledged = new List<long>(rows.Count);
        var parked = new List<(long Id, string Reason)>();
        string? firstFailure = null;
        for (var i = 0; i < rows.Count; i++)
        {
            switch (Volatile.Read(ref reports[i]))
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

        // Whatever the broker acknowledged is marked, even when stopping, so a restart does not send it again.
        if (acknowledged.Count > 0 || parked.Count > 0)
        {
            await using var mark = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands =
                {
                    new("UPDATE outbox SET published_at = now() WHERE id = ANY($1)") { Parameters = { new() { Value = acknowledged.ToArray() } } },
                    new("UPDATE outbox SET failed_at = now(), last_error = r.reason FROM unnest($1::bigint[], $2::text[]) AS r(id, reason) WHERE outbox.id = r.id")
                    {
                        Parameters = { new() { Value = parked.Select(p => p.Id).ToArray() }, new() { Value = parked.Select(p => p.Reason).ToArray() } },
                    },
                },
            };
            await mark.ExecuteNonQueryAsync(CancellationToken.None);
        }

        await transaction.CommitAsync(CancellationToken.None);
        Relayed.Add(acknowledged.Count);
        foreach (var (id, reason) in parked)
        {
            Parked.Add(1);
            LogParked(id, reason);
        }

        stoppingToken.ThrowIfCancellationRequested();
        if (firstFailure is not null)
        {
            throw new OutboxRelayException($"{rows.Count - acknowledged.Count - parked.Count} of {rows.Count} outbox rows were not acknowledged by the broker ({firstFailure}); they will be sent again.");
        }

        // Rows were waiting: look again at once (more may have come, or the batch was cut by size).
        return Round.FullBatch;
    }

    /// <summary>Errors a retry cannot cure: the message itself, or the permission to write it, is wrong.</summary>
    private static bool IsPermanent(ErrorCode code) => code is ErrorCode.MsgSizeTooLarge
        or ErrorCode.InvalidMsg or ErrorCode.InvalidMsgSize or ErrorCode.TopicAuthorizationFailed;

    private void Publish(OutboxRow row, Action<DeliveryReport<string, byte[]>> delivered)
    {
        var headers = new Headers { { "content-type", ContentType } };
        ActivityContext.TryParse(row.TraceParent, row.TraceState, isRemote: true, out var parent);
        publisher.Produce(row.Topic, row.Key, row.Payload, headers, parent, delivered);
    }

    private static readonly byte[] ContentType = Encoding.UTF8.GetBytes(CloudEvent.ContentType);

    private sealed record OutboxRow(long Id, string Topic, string Key, byte[] Payload, string? TraceParent, string? TraceState, DateTimeOffset CreatedAt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox row {OutboxId} can never be published and was set aside (failed_at): {Reason}")]
    private partial void LogParked(long outboxId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox relay round failed ({Failures} in a row); retrying")]
    private partial void LogRoundFailed(Exception exception, int failures);
}

internal sealed class OutboxRelayException(string message) : Exception(message);
