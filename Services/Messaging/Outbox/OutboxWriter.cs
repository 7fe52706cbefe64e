using System.Diagnostics;
using Boxoffice.Contracts;
using Boxoffice.Postgres;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Boxoffice.Messaging.Outbox;

/// <summary>
/// Writes integration events into the outbox table inside the caller's transaction, so an event
/// exists exactly when the business change it announces was committed. The relay publishes it.
/// Write the business change first (it locks the aggregate's row), then the event: events of
/// one aggregate then enter the outbox in commit order, which is the order they are relayed in.
/// </summary>
public sealed class OutboxWriter(IOptions<OutboxOptions> options, TimeProvider time)
{
    internal const string Channel = "boxoffice_outbox";

    /// <summary>Writes the event in <paramref name="transaction"/>, on its connection; see the overload for <paramref name="wakeRelay"/>.</summary>
    public Task<Guid> EnqueueAsync<T>(NpgsqlTransaction transaction, T integrationEvent, CancellationToken cancellationToken, bool wakeRelay = true)
        where T : class, IIntegrationEvent =>
        EnqueueAsync(transaction.Connection!, transaction, integrationEvent, cancellationToken, wakeRelay);

    /// <param name="wakeRelay">
    /// Whether to NOTIFY the relay on commit (at once) or leave the row to its next round or poll
    /// (within <see cref="OutboxOptions.PollInterval"/>): high-volume, unhurried events skip the
    /// notification, which PostgreSQL serializes across all committing transactions.
    /// </param>
    public async Task<Guid> EnqueueAsync<T>(
        NpgsqlConnection connection, NpgsqlTransaction transaction, T integrationEvent, CancellationToken cancellationToken, bool wakeRelay = true)
        where T : class, IIntegrationEvent
    {
        var (id, statements) = Statements(integrationEvent, wakeRelay);
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var statement in statements)
        {
            batch.BatchCommands.Add(statement);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
        return id;
    }

    /// <summary>
    /// The statements that write the event, for a caller to send in one round trip with its own
    /// (<see cref="Sql.Batch"/>) in its transaction; <paramref name="wakeRelay"/> as in
    /// <see cref="EnqueueAsync{T}(NpgsqlConnection, NpgsqlTransaction, T, CancellationToken, bool)"/>.
    /// </summary>
    /// <param name="onlyIf">
    /// A condition the event is written under, checked when the statements run: for a batch whose
    /// earlier statement may have changed nothing (a hold <c>take_hold</c> refused and did not
    /// record), so that no outbox row is written for a change that did not happen.
    /// </param>
    public (Guid MessageId, IReadOnlyList<NpgsqlBatchCommand> Statements) Statements<T>(T integrationEvent, bool wakeRelay = true, OutboxCondition? onlyIf = null)
        where T : class, IIntegrationEvent
    {
        var description = CloudEvent.Describe(typeof(T));
        var now = time.GetUtcNow();
        var id = Guid.CreateVersion7(now);
        var activity = Activity.Current;
        var payload = CloudEvent.Serialize(integrationEvent, id, options.Value.Source, now);
        if (payload.Length > options.Value.MaxMessageBytes)
        {
            // Refused here, inside the caller's transaction, rather than by the broker after commit.
            throw new OutboxMessageTooLargeException(description.Type, payload.Length, options.Value.MaxMessageBytes);
        }

        var traceParent = activity?.Id is { } parent && activity.IdFormat == ActivityIdFormat.W3C ? parent : null;
        // One statement either way; a conditional one selects its values under the condition, whose
        // parameter follows the row's.
        object?[] row = [id, description.Topic, integrationEvent.AggregateId, description.Type, payload, traceParent, activity?.TraceStateString];
        var insert = Sql.Statement(
            "INSERT INTO outbox (message_id, topic, key, type, payload, traceparent, tracestate) "
                + (onlyIf is null ? "VALUES ($1, $2, $3, $4, $5, $6, $7)" : $"SELECT $1, $2, $3, $4, $5, $6::text, $7::text WHERE {onlyIf.Numbered(row.Length + 1)}"),
            onlyIf is null ? row : [.. row, onlyIf.Parameter]);
        // Wakes the relay when the transaction commits (PostgreSQL delivers notifications only
        // then); after a conditional write, only if its row was written.
        var notify = Sql.Statement(
            $"SELECT pg_notify('{Channel}', '')" + (onlyIf is null ? "" : " WHERE EXISTS (SELECT 1 FROM outbox WHERE message_id = $1)"),
            onlyIf is null ? [] : new object[] { id });
        return (id, wakeRelay ? [insert, notify] : [insert]);
    }
}

/// <summary>
/// The condition of a conditional outbox write (<see cref="OutboxWriter.Statements"/>): SQL that
/// refers to its one parameter as <c>{parameter}</c>, such as
/// <c>EXISTS (SELECT 1 FROM holds WHERE hold_id = {parameter})</c>. The writer numbers it after the
/// parameters of its own statement, so a condition does not depend on how many those are.
/// </summary>
public sealed partial record OutboxCondition
{
    /// <summary>What <see cref="Sql"/> names its parameter by.</summary>
    public const string Placeholder = "{parameter}";

    public OutboxCondition(string sql, object parameter)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(parameter);
        // A number of its own ($1) would be bound to one of the row's values, not to its parameter.
        if (!sql.Contains(Placeholder, StringComparison.Ordinal) || PositionalParameter().IsMatch(sql))
        {
            throw new ArgumentException($"An outbox condition names its one parameter {Placeholder}, and no other: {sql}", nameof(sql));
        }

        (Sql, Parameter) = (sql, parameter);
    }

    public string Sql { get; }

    public object Parameter { get; }

    /// <summary><see cref="Sql"/> with its parameter as the statement's <paramref name="position"/>th.</summary>
    internal string Numbered(int position) => Sql.Replace(Placeholder, $"${position.ToString(System.Globalization.CultureInfo.InvariantCulture)}", StringComparison.Ordinal);

    [System.Text.RegularExpressions.GeneratedRegex(@"\$[0-9]")]
    private static partial System.Text.RegularExpressions.Regex PositionalParameter();
}

public sealed class OutboxOptions
{
    /// <summary>The CloudEvents <c>source</c> of this service's events, such as <c>/boxoffice/catalog</c>.</summary>
    public string Source { get; set; } = "/boxoffice";

    /// <summary>Rows relayed per round; a full batch is followed at once by the next.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 50_000)]
    public int BatchSize { get; set; } = 5_000;

    /// <summary>The most payload one round reads and sends, whatever <see cref="BatchSize"/> says.</summary>
    [System.ComponentModel.DataAnnotations.Range(1_024, 1_000_000_000)]
    public int MaxBatchBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>How often the relay looks for work when no notification woke it (a missed NOTIFY costs at most this).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The largest event accepted into the outbox: below the broker's message limit (1 MB by default).</summary>
    [System.ComponentModel.DataAnnotations.Range(1_024, 100_000_000)]
    public int MaxMessageBytes { get; set; } = 900_000;

    /// <summary>How long one round may wait for the broker's acknowledgements before it gives up and retries.</summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>An integration event too large for one Kafka message: the business change must be refused.</summary>
public sealed class OutboxMessageTooLargeException(string type, int bytes, int limit)
    : Exception($"A {type} event of {bytes} bytes is larger than the {limit} bytes one message may carry.");
