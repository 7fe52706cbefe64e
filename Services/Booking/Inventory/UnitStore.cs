using Boxoffice.Postgres;
using Npgsql;

namespace Boxoffice.Booking.Inventory;

/// <summary>
/// Every statement on <c>units</c>. A unit is free while it has no order and no unexpired hold
/// (<see cref="IsFree"/>, the one definition); a hold claims units under row locks (in the SQL
/// function <c>take_hold</c>, migration 0008, called by <c>HoldStore</c>), an order sells them for
/// good, and a hold that ends gives back the ones it still has. Never oversells: a tier's free
/// units are claimed in one statement with FOR UPDATE SKIP LOCKED (buyers racing for a tier never
/// wait for each other), named seats with FOR UPDATE in id order, and PostgreSQL re-checks the
/// condition on each row it locks. docs/adr/0006-holds.md explains the choice.
/// </summary>
internal static class UnitStore
{
    /// <summary>
    /// The free-unit condition, for units aliased <paramref name="alias"/> (empty for none) at the
    /// time in parameter <paramref name="now"/>: the SQL function <c>unit_is_free</c> (migration
    /// 0008), the one definition, which <c>take_hold</c> uses too.
    /// </summary>
    public static string IsFree(string alias, string now) =>
        $"unit_is_free({alias}order_id, {alias}held_until, {now})";

    /// <summary>One unit per place of a published event.</summary>
    public static async Task InsertAsync(NpgsqlTransaction transaction, Guid eventId, IReadOnlyList<(Guid TierId, Place Place)> units, CancellationToken cancellationToken)
    {
        await using var insert = transaction.Command(
            "INSERT INTO units (event_id, tier_id, section, row_label, seat) SELECT $1, u.tier, u.section, u.row_label, u.seat FROM unnest($2::uuid[], $3::text[], $4::text[], $5::int[]) AS u(tier, section, row_label, seat)",
            eventId,
            units.Select(unit => unit.TierId).ToArray(),
            units.Select(unit => unit.Place.Section).ToArray(),
            units.Select(unit => unit.Place.Row).ToArray(),
            units.Select(unit => unit.Place.Seat).ToArray());
        insert.CommandTimeout = 120;
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Frees the units the holds still have (those another hold took since are not touched; sold ones never).</summary>
    public static async Task ReleaseAsync(NpgsqlTransaction transaction, IReadOnlyCollection<Guid> holdIds, CancellationToken cancellationToken)
    {
        await using var release = transaction.Batch(ReleaseStatement(holdIds));
        await release.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The batch statement of <see cref="ReleaseAsync"/>.</summary>
    public static NpgsqlBatchCommand ReleaseStatement(IReadOnlyCollection<Guid> holdIds) =>
        Sql.Statement("UPDATE units SET hold_id = NULL, held_until = NULL WHERE hold_id = ANY($1) AND order_id IS NULL", holdIds.ToArray());

    /// <summary>The units a hold has, with their tier and price.</summary>
    public static async Task<IReadOnlyList<HeldUnit>> HeldByAsync(NpgsqlConnection connection, Guid holdId, CancellationToken cancellationToken)
    {
        await using var held = connection.Command(
            "SELECT u.section, u.row_label, u.seat, u.tier_id, t.price FROM units u JOIN tiers t ON t.tier_id = u.tier_id WHERE u.hold_id = $1 ORDER BY u.unit_id", holdId);
        await using var reader = await held.ExecuteReaderAsync(cancellationToken);
        var units = new List<HeldUnit>();
        while (await reader.ReadAsync(cancellationToken))
        {
            units.Add(new HeldUnit(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt32(2), reader.GetGuid(3), reader.GetDecimal(4)));
        }

        return units;
    }

    /// <summary>Locks the unsold units a hold still has, for its order to take them.</summary>
    public static NpgsqlBatchCommand LockUnsoldStatement(Guid holdId) =>
        Sql.Statement("SELECT unit_id, section, row_label, seat FROM units WHERE hold_id = $1 AND order_id IS NULL ORDER BY unit_id FOR UPDATE", holdId);

    /// <summary>The units <see cref="LockUnsoldStatement"/> locked, read from its result set.</summary>
    public static async Task<IReadOnlyList<UnsoldUnit>> ReadUnsoldAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var units = new List<UnsoldUnit>();
        while (await reader.ReadAsync(cancellationToken))
        {
            units.Add(new UnsoldUnit(reader.GetInt64(0), new Place(reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt32(3)).Label));
        }

        return units;
    }

    /// <summary>A batch statement that sells units to an order, for good.</summary>
    public static NpgsqlBatchCommand SellStatement(Guid orderId, IEnumerable<long> unitIds) =>
        Sql.Statement("UPDATE units SET order_id = $1 WHERE unit_id = ANY($2)", orderId, unitIds.ToArray());

    /// <summary>The public counts of an event: its sale and, per tier, how many units are free now; null for an unknown event.</summary>
    public static async Task<EventAvailability?> CountAvailabilityAsync(NpgsqlConnection connection, Guid eventId, int buyerCap, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(
            $"""
            SELECT e.status, e.currency, e.sale_opens_at, e.sale_closes_at, buyer_limit(e.ticket_limit, $3), t.tier_id, t.name, t.price, t.capacity,
                   (SELECT count(*) FROM units u
                     WHERE u.event_id = e.event_id AND u.tier_id = t.tier_id AND {IsFree("u.", "$2")})::int
            FROM events e JOIN tiers t ON t.event_id = e.event_id
            WHERE e.event_id = $1
            ORDER BY t.price DESC, t.name
            """, eventId, now, buyerCap);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        EventAvailability? result = null;
        var tiers = new List<TierAvailability>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result ??= new EventAvailability(eventId, reader.GetString(0), reader.GetString(1),
                reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3),
                reader.GetInt32(4), now, tiers);
            tiers.Add(new TierAvailability(reader.GetGuid(5), reader.GetString(6), reader.GetDecimal(7), reader.GetInt32(8), reader.GetInt32(9)));
        }

        return result;
    }
}
