using Boxoffice.Contracts.Catalog;
using Boxoffice.Contracts.WaitingRoom;
using Boxoffice.Postgres;
using Npgsql;

namespace Boxoffice.WaitingRoom.Queues;

/// <summary>How a statement locks the queue's row.</summary>
internal enum RowLock
{
    None,

    /// <summary>Joins before the opening: many at once, none while the opening tick holds the row.</summary>
    Share,

    /// <summary>The ticker, and joins after the opening (they count arrivals on the row).</summary>
    Update,
}

/// <summary>The <c>queues</c> table: a queue per published event, its settings from the catalog, and the metering the ticker keeps.</summary>
internal static class QueueStore
{
    private const string Columns =
        "event_id, version, status, sale_opens_at, sale_closes_at, closed_at, enabled, prequeue_opens_at, admit_per_second, max_admitted, " +
        "admission_minutes, proof_of_work_bits, shuffled_at, prequeue_count, late_joins, served_through, admitted_total, credit, last_tick_at, " +
        "sold_out, abandoned_total, places_left, places_left_at, ticket_limit";

    private const int ColumnCount = 24;

    /// <summary>A newly published event's queue (no waiting room yet, if its settings are null). False when a newer version is stored.</summary>
    public static async Task<bool> InsertPublishedAsync(NpgsqlTransaction transaction, EventPublished published, CancellationToken cancellationToken)
    {
        var settings = published.WaitingRoom;
        await using var upsert = transaction.Command(
            """
            INSERT INTO queues (event_id, version, status, sale_opens_at, sale_closes_at, enabled, prequeue_opens_at, admit_per_second, max_admitted, admission_minutes, proof_of_work_bits)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            ON CONFLICT (event_id) DO UPDATE SET
                version = excluded.version, status = excluded.status, sale_opens_at = excluded.sale_opens_at, sale_closes_at = excluded.sale_closes_at,
                enabled = excluded.enabled, prequeue_opens_at = excluded.prequeue_opens_at, admit_per_second = excluded.admit_per_second,
                max_admitted = excluded.max_admitted, admission_minutes = excluded.admission_minutes, proof_of_work_bits = excluded.proof_of_work_bits
            WHERE queues.version < excluded.version
            RETURNING 1
            """,
            published.EventId, published.Version, EventStatusNames.Published, published.SaleOpensAt.ToUniversalTime(), published.SaleClosesAt.ToUniversalTime(),
            settings is not null,
            (settings?.PrequeueOpensAt ?? published.SaleOpensAt).ToUniversalTime(),
            Sql.Typed(settings?.AdmitPerSecond, NpgsqlTypes.NpgsqlDbType.Integer),
            Sql.Typed(settings?.MaxAdmitted, NpgsqlTypes.NpgsqlDbType.Integer),
            settings?.AdmissionMinutes ?? 0,
            settings?.ProofOfWorkBits ?? 0);
        return await upsert.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>
    /// A change of the event: its status, sale window and waiting room as they are now (null
    /// settings: the waiting room was removed; the last settings are kept, unused).
    /// </summary>
    public static async Task<QueueChange> ApplyUpdateAsync(
        NpgsqlTransaction transaction, EventUpdated updated, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var status = updated.Status.Name();
        var settings = updated.WaitingRoom;
        await using var update = settings is null
            ? transaction.Command(
                """
                UPDATE queues SET version = $2, status = $3, sale_opens_at = $4, sale_closes_at = $5,
                    closed_at = CASE WHEN $3 IN ('closed', 'cancelled') THEN coalesce(closed_at, $6) END,
                    enabled = false
                WHERE event_id = $1 AND version < $2
                RETURNING 1
                """,
                updated.EventId, updated.Version, status, updated.SaleOpensAt.ToUniversalTime(), updated.SaleClosesAt.ToUniversalTime(), now)
            : transaction.Command(
                """
                UPDATE queues SET version = $2, status = $3, sale_opens_at = $4, sale_closes_at = $5,
                    closed_at = CASE WHEN $3 IN ('closed', 'cancelled') THEN coalesce(closed_at, $6) END,
                    enabled = true, prequeue_opens_at = $7, admit_per_second = $8, max_admitted = $9, admission_minutes = $10, proof_of_work_bits = $11
                WHERE event_id = $1 AND version < $2
                RETURNING 1
                """,
                updated.EventId, updated.Version, status, updated.SaleOpensAt.ToUniversalTime(), updated.SaleClosesAt.ToUniversalTime(), now,
                settings.PrequeueOpensAt.ToUniversalTime(),
                Sql.Typed(settings.AdmitPerSecond, NpgsqlTypes.NpgsqlDbType.Integer),
                Sql.Typed(settings.MaxAdmitted, NpgsqlTypes.NpgsqlDbType.Integer),
                settings.AdmissionMinutes,
                settings.ProofOfWorkBits);
        return await update.ExecuteScalarAsync(cancellationToken) is not null
            ? QueueChange.Applied
            : await ExistsAsync(transaction, updated.EventId, cancellationToken);
    }

    /// <summary>The event was cancelled: its queue closes (and is shown as closed for a while).</summary>
    public static async Task<QueueChange> ApplyCancelledAsync(
        NpgsqlTransaction transaction, Guid eventId, int version, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var update = transaction.Command(
            """
            UPDATE queues SET version = $2, status = $3, closed_at = coalesce(closed_at, $4)
            WHERE event_id = $1 AND version < $2
            RETURNING 1
            """,
            eventId, version, EventStatusNames.Cancelled, now);
        return await update.ExecuteScalarAsync(cancellationToken) is not null
            ? QueueChange.Applied
            : await ExistsAsync(transaction, eventId, cancellationToken);
    }

    /// <summary>The queue's row, locked as <paramref name="rowLock"/> says; null for an event the waiting room does not know.</summary>
    public static async Task<QueueRow?> FindAsync(NpgsqlTransaction transaction, Guid eventId, RowLock rowLock, CancellationToken cancellationToken)
    {
        var locking = rowLock switch
        {
            RowLock.Share => " FOR SHARE",
            RowLock.Update => " FOR UPDATE",
            _ => "",
        };
        await using var select = transaction.Command($"SELECT {Columns} FROM queues WHERE event_id = $1{locking}", eventId);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>Counts one more arrival after the opening (the caller holds the row's update lock) and returns its number, from 1.</summary>
    public static async Task<long> NextLateArrivalAsync(NpgsqlTransaction transaction, Guid eventId, CancellationToken cancellationToken)
    {
        await using var update = transaction.Command("UPDATE queues SET late_joins = late_joins + 1 WHERE event_id = $1 RETURNING late_joins", eventId);
        return (long)(await update.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>What a tick changed on the queue's row (the caller holds its update lock).</summary>
    public static async Task SaveTickAsync(NpgsqlTransaction transaction, Guid eventId, QueueTick tick, CancellationToken cancellationToken)
    {
        await using var update = transaction.Command(
            """
            UPDATE queues SET shuffled_at = $2, prequeue_count = $3, sold_out = $4, credit = $5, last_tick_at = $6,
                served_through = greatest(served_through, $7), admitted_total = admitted_total + $8, abandoned_total = abandoned_total + $9,
                places_left = $10, places_left_at = $11, ticket_limit = $12
            WHERE event_id = $1
            """,
            eventId, tick.ShuffledAt, tick.PrequeueCount, tick.SoldOut, tick.Credit, tick.At, tick.ServedThrough, tick.FirstOffers, tick.Withdrawn,
            tick.PlacesLeft, tick.PlacesLeftAt, Sql.Typed(tick.TicketLimit, NpgsqlTypes.NpgsqlDbType.Integer));
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Every queue the gateway is to know: enabled, and open or closed less than
    /// <see cref="QueueRules.ShownAfterClosing"/> ago, with its places counted.
    /// </summary>
    /// <param name="abandonedAfter">The abandon window: places silent for longer are not counted in the front or the reach, as the ticker does not offer them.</param>
    public static async Task<List<QueueView>> ReadShownAsync(NpgsqlConnection connection, DateTimeOffset now, TimeSpan abandonedAfter, CancellationToken cancellationToken)
    {
        await using var select = connection.Command(
            $"""
            SELECT {Columns}, {Counts}
            FROM queues q
            WHERE q.enabled AND least(q.closed_at, q.sale_closes_at) > $2
            """,
            now - QueueRules.RateWindow, now - QueueRules.ShownAfterClosing, now - abandonedAfter);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        var views = new List<QueueView>();
        while (await reader.ReadAsync(cancellationToken))
        {
            views.Add(ReadView(reader, now));
        }

        return views;
    }

    /// <summary>One event's enabled queue with its places counted, however long ago it closed; null when it has none.</summary>
    public static async Task<QueueView?> ReadViewAsync(NpgsqlConnection connection, Guid eventId, DateTimeOffset now, TimeSpan abandonedAfter, CancellationToken cancellationToken)
    {
        await using var select = connection.Command(
            $"SELECT {Columns}, {Counts} FROM queues q WHERE q.event_id = $2 AND q.enabled",
            now - QueueRules.RateWindow, eventId, now - abandonedAfter);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadView(reader, now) : null;
    }

    /// <summary>
    /// Places waiting (neither offered nor claimed, their buyers still there: the ticker's pick
    /// index), offers made since $1, and the rank of the last place of the front of the line (the
    /// first <c>admit_per_second</c> places the ticker may offer, <see cref="PlaceStore.Offerable"/>
    /// with buyers seen after $3; every one when fewer; -1 without a rate), and the rank the
    /// places left reach (<see cref="QueueSnapshot.ReachThrough"/>: the place the ticker may
    /// offer as many places down as booking last counted free, at least the front; the largest
    /// bigint when unknown, when fewer wait, without a rate, or when the rate would not reach it
    /// within a minute: so the scan is never longer than a minute of the rate).
    /// </summary>
    private static readonly string Counts =
        $"""
        (SELECT count(*) FROM places p WHERE p.event_id = q.event_id AND p.offered_at IS NULL AND p.claimed_at IS NULL AND p.left_at IS NULL),
        (SELECT count(*) FROM places p WHERE p.event_id = q.event_id AND p.offered_at > $1),
        CASE WHEN coalesce(q.admit_per_second, 0) <= 0 THEN -1
        ELSE {RankOfOfferable("q.admit_per_second")} END,
        CASE WHEN q.places_left IS NULL OR coalesce(q.admit_per_second, 0) <= 0 OR q.places_left >= q.admit_per_second * {QueueSchedule.MaxPollSeconds} THEN 9223372036854775807
        ELSE {RankOfOfferable("greatest(q.places_left, q.admit_per_second)")} END
        """;

    /// <summary>
    /// The rank of queue <c>q</c>'s <paramref name="nth"/> place the ticker may offer
    /// (<see cref="PlaceStore.Offerable"/>, buyers seen after $3), counting from 1; the largest
    /// bigint when fewer wait. An SQL expression: the front and the reach of <see cref="Counts"/>.
    /// </summary>
    private static string RankOfOfferable(string nth) =>
        $"""
        coalesce(
            (SELECT p.rank FROM places p WHERE p.event_id = q.event_id AND {PlaceStore.Offerable("p.", "$3")}
             ORDER BY p.rank OFFSET {nth} - 1 LIMIT 1),
            9223372036854775807)
        """;

    private static async Task<QueueChange> ExistsAsync(NpgsqlTransaction transaction, Guid eventId, CancellationToken cancellationToken)
    {
        await using var exists = transaction.Command("SELECT 1 FROM queues WHERE event_id = $1", eventId);
        return await exists.ExecuteScalarAsync(cancellationToken) is null ? QueueChange.Unknown : QueueChange.Stale;
    }

    private static QueueView ReadView(NpgsqlDataReader reader, DateTimeOffset now) =>
        new(Read(reader), reader.GetInt64(ColumnCount), reader.GetInt64(ColumnCount + 1), now, reader.GetInt64(ColumnCount + 2), reader.GetInt64(ColumnCount + 3));

    private static QueueRow Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetInt32(1),
        reader.GetString(2),
        reader.GetFieldValue<DateTimeOffset>(3),
        reader.GetFieldValue<DateTimeOffset>(4),
        reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
        reader.GetBoolean(6),
        reader.GetFieldValue<DateTimeOffset>(7),
        reader.IsDBNull(8) ? null : reader.GetInt32(8),
        reader.IsDBNull(9) ? null : reader.GetInt32(9),
        reader.GetInt32(10),
        reader.GetInt32(11),
        reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12),
        reader.GetInt64(13),
        reader.GetInt64(14),
        reader.GetInt64(15),
        reader.GetInt64(16),
        reader.GetDouble(17),
        reader.IsDBNull(18) ? null : reader.GetFieldValue<DateTimeOffset>(18),
        reader.GetBoolean(19),
        reader.GetInt64(20),
        reader.IsDBNull(21) ? null : reader.GetInt64(21),
        reader.IsDBNull(22) ? null : reader.GetFieldValue<DateTimeOffset>(22),
        reader.IsDBNull(23) ? null : reader.GetInt32(23));
}

/// <summary>
/// What one tick wrote on its queue's row: when the pre-queue was frozen and how big it was, the
/// availability it went by (sold out, and booking's last count of the places left with when it
/// was taken and the ticket limit it gave), the credit left, the highest rank it offered (-1:
/// none), how many places it offered for the first time, and how many offers it withdrew.
/// </summary>
internal sealed record QueueTick(
    DateTimeOffset At, DateTimeOffset ShuffledAt, long PrequeueCount, bool SoldOut, double Credit, long ServedThrough, long FirstOffers, long Withdrawn,
    long? PlacesLeft, DateTimeOffset? PlacesLeftAt, int? TicketLimit);
