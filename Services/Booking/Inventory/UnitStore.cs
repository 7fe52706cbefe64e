using Boxoffice.Postgres;
using Npgsql;

namespace Boxoffice.Booking.Inventory;

/// <summary>
/// Every statement on <c>units</c>. A unit is free while it has no order and no unexpired hold
/// (<see cref="IsFree"/>, the one definition); a hold claims units under row locks, an order sells
/// them for good, and a hold that ends gives back the ones it still has. Never oversells: a tier's
/// free units are claimed in one statement with FOR UPDATE SKIP LOCKED (buyers racing for a tier
/// never wait for each other), named seats with FOR UPDATE in id order, and PostgreSQL re-checks
/// the condition on each row it locks. docs/adr/0006-holds.md explains the choice.
/// </summary>
internal static class UnitStore
{
    /// <summary>The free-unit condition, for units aliased <paramref name="alias"/> (empty for none) at the time in parameter <paramref name="now"/>.</summary>
    public static string IsFree(string alias, string now) =>
        $"{alias}order_id IS NULL AND ({alias}held_until IS NULL OR {alias}held_until < {now})";

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

    /// <summary>
    /// Claims <paramref name="quantity"/> free units of a tier for a hold. <paramref name="withClaim"/>
    /// gives the statements that record the hold (given its total price); they go in the round trip
    /// of the claim that first takes a unit, after it, and must write only if it did (the caller
    /// rolls back a claim that falls short).
    /// </summary>
    public static async Task<UnitClaim> ClaimFromTierAsync(
        NpgsqlTransaction transaction, Guid eventId, Guid tierId, decimal price, int quantity, Guid holdId, DateTimeOffset now, DateTimeOffset expiresAt,
        Func<decimal, IEnumerable<NpgsqlBatchCommand>> withClaim, CancellationToken cancellationToken)
    {
        // Never-held units first (a small index); units whose hold expired but was not released
        // yet only when those run out. PostgreSQL re-checks the WHERE on each row it locks.
        var units = new List<HeldUnit>();
        foreach (var condition in new[] { "hold_id IS NULL AND order_id IS NULL", "order_id IS NULL AND held_until < $3" })
        {
            if (units.Count == quantity)
            {
                break;
            }

            var claim = Sql.Statement(
                $"""
                WITH picked AS (
                    SELECT unit_id FROM units
                    WHERE event_id = $1 AND tier_id = $2 AND {condition}
                    ORDER BY unit_id
                    LIMIT $4
                    FOR UPDATE SKIP LOCKED)
                UPDATE units u SET hold_id = $5, held_until = $6
                FROM picked WHERE u.unit_id = picked.unit_id
                RETURNING u.section, u.row_label, u.seat
                """, eventId, tierId, now, quantity - units.Count, holdId, expiresAt);
            // Until a claim has taken a unit, the hold is not recorded yet (its statements wrote nothing).
            await using var batch = transaction.Batch(units.Count == 0 ? [claim, .. withClaim(price * quantity)] : [claim]);
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                units.Add(new HeldUnit(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt32(2), tierId, price));
            }

            while (await reader.NextResultAsync(cancellationToken))
            {
            }
        }

        if (units.Count == quantity)
        {
            return new UnitClaim.Claimed(units);
        }

        // Fewer than asked: either sold out, or other buyers' claims had the rest locked and may
        // still roll back. Counting without locks (their changes are not visible yet) tells which.
        var available = await CountFreeAsync(transaction, eventId, tierId, now, cancellationToken) + units.Count;
        return available >= quantity ? new UnitClaim.Contended() : new UnitClaim.SoldOut(available);
    }

    /// <summary>Claims the named places for a hold, all or none; <paramref name="withClaim"/> as in <see cref="ClaimFromTierAsync"/>.</summary>
    public static async Task<UnitClaim> ClaimPlacesAsync(
        NpgsqlTransaction transaction, Guid eventId, IReadOnlyList<Place> places, Guid holdId, DateTimeOffset now, DateTimeOffset expiresAt,
        Func<decimal, IEnumerable<NpgsqlBatchCommand>> withClaim, CancellationToken cancellationToken)
    {
        var found = await LockPlacesAsync(transaction, eventId, places, now, cancellationToken);
        if (found.Count < places.Count)
        {
            return new UnitClaim.UnknownPlaces([.. places.Where(place => !found.Any(unit => unit.Place == place))]);
        }

        if (found.Where(unit => !unit.Free).Select(unit => unit.Place).ToList() is { Count: > 0 } taken)
        {
            return new UnitClaim.PlacesTaken(taken);
        }

        await using var update = transaction.Batch([
            Sql.Statement("UPDATE units SET hold_id = $1, held_until = $2 WHERE unit_id = ANY($3)", holdId, expiresAt, found.Select(unit => unit.Id).ToArray()),
            .. withClaim(found.Sum(unit => unit.Unit.Price))]);
        await update.ExecuteNonQueryAsync(cancellationToken);
        return new UnitClaim.Claimed([.. found.Select(unit => unit.Unit)]);
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
    public static async Task<IReadOnlyList<UnsoldUnit>> LockUnsoldAsync(NpgsqlTransaction transaction, Guid holdId, CancellationToken cancellationToken)
    {
        await using var locked = transaction.Command(
            "SELECT unit_id, section, row_label, seat FROM units WHERE hold_id = $1 AND order_id IS NULL ORDER BY unit_id FOR UPDATE", holdId);
        await using var reader = await locked.ExecuteReaderAsync(cancellationToken);
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
            SELECT e.status, e.currency, e.sale_opens_at, e.sale_closes_at, e.ticket_limit, t.tier_id, t.name, t.price, t.capacity,
                   (SELECT count(*) FROM units u
                     WHERE u.event_id = e.event_id AND u.tier_id = t.tier_id AND {IsFree("u.", "$2")})::int
            FROM events e JOIN tiers t ON t.event_id = e.event_id
            WHERE e.event_id = $1
            ORDER BY t.price DESC, t.name
            """, eventId, now);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        EventAvailability? result = null;
        var tiers = new List<TierAvailability>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result ??= new EventAvailability(eventId, reader.GetString(0), reader.GetString(1),
                reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3),
                TicketLimits.Effective(reader.IsDBNull(4) ? null : reader.GetInt32(4), buyerCap), now, tiers);
            tiers.Add(new TierAvailability(reader.GetGuid(5), reader.GetString(6), reader.GetDecimal(7), reader.GetInt32(8), reader.GetInt32(9)));
        }

        return result;
    }

    private static async Task<int> CountFreeAsync(NpgsqlTransaction transaction, Guid eventId, Guid tierId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var free = transaction.Command(
            $"SELECT count(*)::int FROM units WHERE event_id = $1 AND tier_id = $2 AND {IsFree("", "$3")}", eventId, tierId, now);
        return (int)(await free.ExecuteScalarAsync(cancellationToken))!;
    }

    private sealed record LockedPlace(long Id, Place Place, HeldUnit Unit, bool Free);

    private static async Task<List<LockedPlace>> LockPlacesAsync(
        NpgsqlTransaction transaction, Guid eventId, IReadOnlyList<Place> places, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var select = transaction.Command(
            $"""
            SELECT u.unit_id, u.section, u.row_label, u.seat, u.tier_id, t.price,
                   {IsFree("u.", "$5")}
            FROM units u
            JOIN tiers t ON t.tier_id = u.tier_id
            JOIN unnest($2::text[], $3::text[], $4::int[]) AS w(section, row_label, seat)
              ON u.section = w.section AND u.row_label IS NOT DISTINCT FROM w.row_label AND u.seat = w.seat
            WHERE u.event_id = $1
            ORDER BY u.unit_id
            FOR UPDATE OF u
            """,
            eventId, places.Select(place => place.Section).ToArray(), places.Select(place => place.Row).ToArray(), places.Select(place => place.Seat).ToArray(), now);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        var found = new List<LockedPlace>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var place = new Place(reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt32(3));
            found.Add(new LockedPlace(reader.GetInt64(0), place, new HeldUnit(place.Section, place.Row, place.Seat, reader.GetGuid(4), reader.GetDecimal(5)), reader.GetBoolean(6)));
        }

        return found;
    }
}
