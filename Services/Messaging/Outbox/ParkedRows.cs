using Boxoffice.Postgres;
using Npgsql;

namespace Boxoffice.Messaging.Outbox;

/// <summary>An outbox row the broker refused for good, as operators see it.</summary>
internal sealed record ParkedRow(long Id, Guid MessageId, string Topic, string Key, string Type, DateTimeOffset CreatedAt, DateTimeOffset FailedAt, string? LastError);

/// <summary>What releasing a parked row came to.</summary>
internal abstract record ParkedRelease
{
    private ParkedRelease()
    {
    }

    /// <summary>Back in the relay's work list; it goes out in the relay's next round.</summary>
    public sealed record Released(long Id, Guid MessageId, string Topic) : ParkedRelease;

    public sealed record NotFound : ParkedRelease;

    /// <summary>The row is not parked: <c>pending</c> (the relay has it) or <c>published</c>.</summary>
    public sealed record NotParked(string Status) : ParkedRelease;
}

/// <summary>
/// The statements on parked outbox rows (<c>failed_at</c> set), read through the partial index
/// <c>outbox_parked</c>, so none of them reads the whole table. The relay sets a row aside; a
/// person decides, and releasing it is the only way it is ever sent again.
/// </summary>
internal static class ParkedRows
{
    public static async Task<IReadOnlyList<ParkedRow>> ListAsync(NpgsqlConnection connection, int limit, CancellationToken cancellationToken)
    {
        await using var list = connection.Command(
            "SELECT id, message_id, topic, key, type, created_at, failed_at, last_error FROM outbox WHERE failed_at IS NOT NULL ORDER BY id LIMIT $1", limit);
        await using var reader = await list.ExecuteReaderAsync(cancellationToken);
        var rows = new List<ParkedRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new ParkedRow(
                reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6), reader.IsDBNull(7) ? null : reader.GetString(7)));
        }

        return rows;
    }

    public static async Task<long> CountAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var count = connection.Command("SELECT count(*) FROM outbox WHERE failed_at IS NOT NULL");
        return (long)(await count.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Clears <c>failed_at</c> and <c>last_error</c>, so the row is pending again, and wakes the
    /// relay when the transaction commits. It goes out after the rows already waiting: a parked
    /// row comes after later rows of its key (consumers order by version, not by arrival).
    /// </summary>
    public static async Task<ParkedRelease> ReleaseAsync(NpgsqlTransaction transaction, long id, CancellationToken cancellationToken)
    {
        Guid messageId;
        string topic;
        await using (var row = transaction.Command(
            "SELECT message_id, topic, failed_at IS NOT NULL, published_at IS NOT NULL FROM outbox WHERE id = $1 FOR UPDATE", id))
        await using (var reader = await row.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return new ParkedRelease.NotFound();
            }

            if (!reader.GetBoolean(2))
            {
                return new ParkedRelease.NotParked(reader.GetBoolean(3) ? "published" : "pending");
            }

            (messageId, topic) = (reader.GetGuid(0), reader.GetString(1));
        }

        await using var release = transaction.Batch(
            Sql.Statement("UPDATE outbox SET failed_at = NULL, last_error = NULL WHERE id = $1", id),
            Sql.Statement($"SELECT pg_notify('{OutboxWriter.Channel}', '')"));
        await release.ExecuteNonQueryAsync(cancellationToken);
        return new ParkedRelease.Released(id, messageId, topic);
    }
}
