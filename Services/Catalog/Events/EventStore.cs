using Boxoffice.Catalog.Venues;
using Boxoffice.Contracts.Catalog;
using Boxoffice.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace Boxoffice.Catalog.Events;

/// <summary>Events and their price tiers in catalogdb.</summary>
internal static class EventStore
{
    private const string DetailColumns =
        """
        e.id, e.name, e.description, e.status, e.starts_at, e.sale_opens_at, e.sale_closes_at, e.currency, e.version,
        v.id, v.name, v.city, v.address,
        e.waiting_room, e.prequeue_opens_at, e.admit_per_second, e.max_admitted, e.admission_minutes, e.proof_of_work_bits,
        e.ticket_limit
        """;

    public static async Task InsertAsync(NpgsqlTransaction transaction, Guid id, string organizerId, EventRequest request, VenueDetail venue, CancellationToken cancellationToken)
    {
        await using var command = transaction.Command(
            """
            INSERT INTO events (id, organizer_id, venue_id, name, description, starts_at, sale_opens_at, sale_closes_at, currency,
                waiting_room, prequeue_opens_at, admit_per_second, max_admitted, admission_minutes, proof_of_work_bits, ticket_limit, status)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 'draft')
            """, [id, organizerId, .. Details(request, venue)]);
        await command.ExecuteNonQueryAsync(cancellationToken);
        await ReplaceTiersAsync(transaction, id, request, venue, cancellationToken);
    }

    /// <summary>Changes a draft; false when the event is not the organizer's draft (the caller tells which).</summary>
    public static async Task<bool> UpdateDraftAsync(NpgsqlTransaction transaction, Guid id, string organizerId, EventRequest request, VenueDetail venue, CancellationToken cancellationToken)
    {
        await using var command = transaction.Command(
            """
            UPDATE events SET venue_id = $3, name = $4, description = $5, starts_at = $6, sale_opens_at = $7, sale_closes_at = $8,
                currency = $9, waiting_room = $10, prequeue_opens_at = $11, admit_per_second = $12, max_admitted = $13,
                admission_minutes = $14, proof_of_work_bits = $15, ticket_limit = $16, version = version + 1, updated_at = now()
            WHERE id = $1 AND organizer_id = $2 AND status = 'draft'
            """, [id, organizerId, .. Details(request, venue)]);
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            return false;
        }

        await ReplaceTiersAsync(transaction, id, request, venue, cancellationToken);
        return true;
    }

    /// <summary>Parameters $3 to $16 of the insert and the update.</summary>
    private static object?[] Details(EventRequest request, VenueDetail venue) =>
    [
        venue.Id,
        request.Name.Trim(),
        request.Description?.Trim() ?? "",
        request.StartsAt!.Value.ToUniversalTime(),
        request.SaleOpensAt!.Value.ToUniversalTime(),
        request.SaleClosesAt!.Value.ToUniversalTime(),
        request.Currency,
        .. WaitingRoomColumns(request.ResolvedWaitingRoom()),
        Sql.Typed(request.TicketLimit, NpgsqlDbType.Integer),
    ];

    /// <summary>The values of waiting_room, prequeue_opens_at, admit_per_second, max_admitted, admission_minutes and proof_of_work_bits.</summary>
    private static object?[] WaitingRoomColumns(WaitingRoomSettings? room) =>
    [
        room is not null,
        room?.PrequeueOpensAt.ToUniversalTime(),
        room?.AdmitPerSecond,
        room?.MaxAdmitted,
        room?.AdmissionMinutes,
        room?.ProofOfWorkBits,
    ];

    private static async Task ReplaceTiersAsync(NpgsqlTransaction transaction, Guid id, EventRequest request, VenueDetail venue, CancellationToken cancellationToken)
    {
        // Section names are stored as the venue spells them, whatever case the request used.
        var canonical = venue.Sections.ToDictionary(section => section.Name, section => section.Name, StringComparer.OrdinalIgnoreCase);
        var inserts = request.Tiers.Select((tier, i) => Sql.Statement(
            "INSERT INTO price_tiers (event_id, id, position, name, price, sections) VALUES ($1, $2, $3, $4, $5, $6)",
            id, Guid.CreateVersion7(), i, tier.Name.Trim(), tier.Price!.Value, tier.Sections.Select(section => canonical[section.Trim()]).ToArray()));
        await using var batch = transaction.Batch([Sql.Statement("DELETE FROM price_tiers WHERE event_id = $1", id), .. inserts]);
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// One event with its venue and tiers, or null. With an organizer, only theirs (any state);
    /// without, only what the public may see (what was ever published, whatever its state now).
    /// </summary>
    public static async Task<EventDetail?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid id, string? organizerId, CancellationToken cancellationToken)
    {
        NpgsqlBatchCommand[] statements =
        [
            Sql.Statement($"""
                SELECT {DetailColumns}
                FROM events e JOIN venues v ON v.id = e.venue_id
                WHERE e.id = $1 AND (CASE WHEN $2::text IS NULL THEN e.published_at IS NOT NULL ELSE e.organizer_id = $2 END)
                """, id, Sql.Typed(organizerId, NpgsqlDbType.Text)),
            Sql.Statement("SELECT id, name, price, sections FROM price_tiers WHERE event_id = $1 ORDER BY position", id),
        ];
        await using var batch = transaction is null ? connection.Batch(statements) : transaction.Batch(statements);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var venue = new VenueRef(reader.GetGuid(9), reader.GetString(10), reader.GetString(11), reader.GetString(12));
        var (name, description, status) = (reader.GetString(1), reader.GetString(2), EventStatusNames.Parse(reader.GetString(3)));
        var (startsAt, opensAt, closesAt) = (reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6));
        var (currency, version) = (reader.GetString(7), reader.GetInt32(8));
        var waitingRoom = ReadWaitingRoom(reader);
        int? ticketLimit = reader.IsDBNull(19) ? null : reader.GetInt32(19);
        await reader.NextResultAsync(cancellationToken);
        var tiers = new List<TierView>();
        while (await reader.ReadAsync(cancellationToken))
        {
            tiers.Add(new TierView(reader.GetGuid(0), reader.GetString(1), reader.GetDecimal(2), reader.GetFieldValue<string[]>(3)));
        }

        return new EventDetail(id, name, description, status, startsAt, opensAt, closesAt, currency, venue, tiers, waitingRoom, ticketLimit, version);
    }

    /// <summary>The waiting room of a row of <see cref="DetailColumns"/> (columns 13 to 18), or null when it has none.</summary>
    private static WaitingRoomSettings? ReadWaitingRoom(NpgsqlDataReader reader) => reader.GetBoolean(13)
        ? new WaitingRoomSettings(
            reader.GetFieldValue<DateTimeOffset>(14),
            reader.IsDBNull(15) ? null : reader.GetInt32(15),
            reader.IsDBNull(16) ? null : reader.GetInt32(16),
            reader.GetInt32(17),
            reader.GetInt32(18))
        : null;

    /// <summary>
    /// A page of the organizer's own events, whatever their state, soonest first (ties by id), after
    /// the event <paramref name="after"/>; null when that is not one of the organizer's. Keyset over
    /// <c>events_by_organizer</c>.
    /// </summary>
    public static async Task<Page<EventSummary>?> ListOwnAsync(NpgsqlConnection connection, string organizerId, int limit, Guid? after, CancellationToken cancellationToken)
    {
        var (found, afterStart) = await connection.AnchorAsync(
            after, "SELECT starts_at FROM events WHERE id = $1 AND organizer_id = $2", organizerId, row => (DateTimeOffset?)row.GetFieldValue<DateTimeOffset>(0), cancellationToken);
        if (!found)
        {
            return null;
        }

        await using var command = connection.Command(
            """
            SELECT e.id, e.name, v.city, e.starts_at, e.status
            FROM events e JOIN venues v ON v.id = e.venue_id
            WHERE e.organizer_id = $1 AND ($2::timestamptz IS NULL OR (e.starts_at, e.id) > ($2, $3::uuid))
            ORDER BY e.starts_at, e.id
            LIMIT $4
            """, organizerId, Sql.Typed(afterStart, NpgsqlDbType.TimestampTz), Sql.Typed(after, NpgsqlDbType.Uuid), limit + 1);
        var items = await ReadSummariesAsync(command, cancellationToken);

        return Page.From(items, limit);
    }

    private static async Task<List<EventSummary>> ReadSummariesAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var items = new List<EventSummary>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(ReadSummary(reader));
        }

        return items;
    }

    /// <summary>From a row whose first columns are id, name, city, starts_at, status.</summary>
    public static EventSummary ReadSummary(NpgsqlDataReader reader) =>
        new(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), EventStatusNames.Parse(reader.GetString(4)));

    /// <summary>The state of an event the organizer owns, locked until the transaction ends; null when it is not theirs.</summary>
    public static async Task<(EventStatus Status, DateTimeOffset SaleOpensAt, DateTimeOffset SaleClosesAt)?> LockAsync(
        NpgsqlTransaction transaction, Guid id, string organizerId, CancellationToken cancellationToken)
    {
        await using var command = transaction.Command("SELECT status, sale_opens_at, sale_closes_at FROM events WHERE id = $1 AND organizer_id = $2 FOR UPDATE", id, organizerId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? (EventStatusNames.Parse(reader.GetString(0)), reader.GetFieldValue<DateTimeOffset>(1), reader.GetFieldValue<DateTimeOffset>(2))
            : null;
    }

    /// <summary>
    /// Puts the event behind <paramref name="room"/>, or with null takes it out of its waiting
    /// room, as a change of the event (its version grows). False when there was nothing to take
    /// out: then nothing changed.
    /// </summary>
    public static async Task<bool> SetWaitingRoomAsync(NpgsqlTransaction transaction, Guid id, WaitingRoomSettings? room, CancellationToken cancellationToken)
    {
        await using var command = transaction.Command(
            """
            UPDATE events SET waiting_room = $2, prequeue_opens_at = $3, admit_per_second = $4, max_admitted = $5,
                admission_minutes = $6, proof_of_work_bits = $7, version = version + 1, updated_at = now()
            WHERE id = $1 AND ($2 OR waiting_room)
            """, [id, .. WaitingRoomColumns(room)]);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// Sets the event's ticket limit, or with null removes it, as a change of the event (its
    /// version grows). False when there was no limit to remove: then nothing changed.
    /// </summary>
    public static async Task<bool> SetTicketLimitAsync(NpgsqlTransaction transaction, Guid id, int? limit, CancellationToken cancellationToken)
    {
        await using var command = transaction.Command(
            """
            UPDATE events SET ticket_limit = $2, version = version + 1, updated_at = now()
            WHERE id = $1 AND ($2 IS NOT NULL OR ticket_limit IS NOT NULL)
            """, id, Sql.Typed(limit, NpgsqlDbType.Integer));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public static async Task SetStatusAsync(NpgsqlTransaction transaction, Guid id, EventStatus status, CancellationToken cancellationToken)
    {
        await using var command = transaction.Command(
            """
            UPDATE events SET status = $2, version = version + 1, updated_at = now(),
                published_at = CASE WHEN $2 = 'published' THEN coalesce(published_at, now()) ELSE published_at END
            WHERE id = $1
            """, id, status.Name());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A page of the published and on-sale events that match the filter, and how many match in all.</summary>
    public static async Task<EventPage> ListPublishedAsync(NpgsqlConnection connection, ListFilter filter, CancellationToken cancellationToken)
    {
        // Words (`search`, migration 0006) when the text has any; only text without a letter or
        // digit is matched literally, through the trigram indexes of the two names (0004). Every
        // filter is on the events row (the city through its venues' ids, an array the venue index
        // takes), so the total counts events alone, without joining each match to its venue.
        const string Where =
            """
            WHERE e.status IN ('published', 'on-sale')
              AND ($1::text IS NULL OR e.venue_id = ANY (ARRAY(SELECT id FROM venues WHERE lower(city) = lower($1))))
              AND ($2::timestamptz IS NULL OR e.starts_at >= $2)
              AND ($3::timestamptz IS NULL OR e.starts_at < $3)
              AND ($4::text IS NULL OR e.search @@ to_tsquery('simple', $4))
              AND ($5::text IS NULL OR e.id IN (
                    SELECT id FROM events WHERE name ILIKE $5 ESCAPE '\'
                    UNION
                    SELECT id FROM events WHERE venue_id IN (SELECT id FROM venues WHERE name ILIKE $5 ESCAPE '\')))
            """;

        // The page and the total in one round trip; the total stays right past the last page.
        await using var batch = connection.Batch(
            Sql.Statement($"SELECT e.id, e.name, v.city, e.starts_at, e.status FROM events e JOIN venues v ON v.id = e.venue_id {Where} ORDER BY e.starts_at, e.id LIMIT $6 OFFSET $7",
                [.. FilterParameters(filter), filter.PageSize, (long)(filter.Page - 1) * filter.PageSize]),
            Sql.Statement($"SELECT count(*) FROM events e {Where}", FilterParameters(filter)));

        var items = new List<EventSummary>();
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(ReadSummary(reader));
        }

        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new EventPage(items, filter.Page, filter.PageSize, reader.GetInt64(0));
    }

    /// <summary>$1 to $5 of both statements; new parameters each time (a parameter belongs to one statement).</summary>
    private static object?[] FilterParameters(ListFilter filter)
    {
        var words = SearchWords.Query(filter.Text);
        return
        [
            Sql.Typed(filter.City, NpgsqlDbType.Text),
            Sql.Typed(filter.From, NpgsqlDbType.TimestampTz),
            Sql.Typed(filter.To, NpgsqlDbType.TimestampTz),
            Sql.Typed(words, NpgsqlDbType.Text),
            Sql.Typed(filter.Text is not null && words is null ? $"%{EscapeLike(filter.Text)}%" : null, NpgsqlDbType.Text),
        ];
    }

    /// <summary>The text is matched literally: % and _ in a search are not wildcards.</summary>
    private static string EscapeLike(string text) => text.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_");
}
