using Boxoffice.Booking.Inventory;
using Boxoffice.Contracts.Booking;
using Boxoffice.Messaging.Outbox;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using Boxoffice.Messaging.Postgres;

namespace Boxoffice.Booking.Holds;

/// <summary>What a hold attempt came to: a hold, a problem, or "contended" (try again).</summary>
internal sealed record HoldOutcome(HoldView? Hold, bool Replayed = false, ProblemHttpResult? Problem = null, bool Contended = false);

/// <summary>
/// Takes holds. Never oversells: units are claimed with row locks in one statement (a tier's free
/// units with FOR UPDATE SKIP LOCKED, so buyers racing for a tier never wait for each other;
/// named seats with FOR UPDATE in id order), and a unit counts as free only while it has no order
/// and no unexpired hold, re-checked by PostgreSQL on the locked row. A buyer's holds on one
/// event are serialized by an advisory lock, so the per-buyer cap cannot be raced either.
/// docs/adr/0006-holds.md explains the choice.
/// </summary>
internal static class HoldStore
{
    public static async Task<HoldOutcome> TakeAsync(
        NpgsqlTransaction transaction, OutboxWriter outbox, string buyerId, Guid eventId, HoldRequest request,
        (string Key, byte[] Fingerprint)? idempotency, BookingOptions options, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (idempotency is { } claim && await IdempotencyKeys.ClaimAsync(transaction, buyerId, claim.Key, claim.Fingerprint, cancellationToken) is { } earlier)
        {
            return earlier.SameRequest ? new HoldOutcome(earlier.Answer<HoldView>(), Replayed: true) : new HoldOutcome(null, Problem: IdempotencyKeys.Reused());
        }

        // One round trip for every check: the buyer's lock (their holds on this event are taken
        // one at a time, so the cap cannot be raced), the sale, what the buyer has, the tier's price.
        var wanted = request.Quantity ?? request.Seats!.Count;
        string status, currency;
        DateTimeOffset opens, closes;
        int already;
        decimal? tierPrice = null;
        await using (var checks = new NpgsqlBatch(transaction.Connection, transaction)
        {
            BatchCommands =
            {
                Sql.Batch("SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2::text, 0))", buyerId, eventId),
                Sql.Batch("SELECT status, currency, sale_opens_at, sale_closes_at FROM events WHERE event_id = $1", eventId),
                Sql.Batch(
                    """
                    SELECT coalesce(sum(units), 0)::int FROM holds
                    WHERE buyer_id = $1 AND event_id = $2 AND (status IN ('ordered', 'confirmed') OR (status = 'active' AND expires_at > $3))
                    """, buyerId, eventId, now),
                Sql.Batch("SELECT price FROM tiers WHERE tier_id = $1 AND event_id = $2", request.TierId ?? Guid.Empty, eventId),
            },
        })
        await using (var reader = await checks.ExecuteReaderAsync(cancellationToken))
        {
            await reader.NextResultAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return new HoldOutcome(null, Problem: Problems.NotFound("event"));
            }

            (status, currency, opens, closes) = (reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3));
            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            already = reader.GetInt32(0);
            await reader.NextResultAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                tierPrice = reader.GetDecimal(0);
            }
        }

        if (status != Statuses.OnSale || now < opens || now >= closes)
        {
            return new HoldOutcome(null, Problem: Problems.Conflict("sale-not-open", "The event is not on sale.",
                $"Holds are taken only while the sale is open; the event is {status}.", new() { ["eventStatus"] = status }));
        }

        if (already + wanted > options.MaxUnitsPerBuyer)
        {
            return new HoldOutcome(null, Problem: Problems.Conflict("buyer-limit", "That would be more than one buyer may have.",
                $"A buyer may hold or own {options.MaxUnitsPerBuyer} units of an event; you have {already}.",
                new() { ["limit"] = options.MaxUnitsPerBuyer, ["held"] = already }));
        }

        if (request.TierId is { } askedTier && tierPrice is null)
        {
            return new HoldOutcome(null, Problem: Problems.Unprocessable("unknown-tier", "The event has no such tier.", $"Tier {askedTier} is not one of this event's tiers."));
        }

        var holdId = Guid.CreateVersion7(now);
        var expiresAt = now + options.HoldDuration;
        var claimed = request.TierId is { } tierId
            ? await ClaimFromTierAsync(transaction, eventId, tierId, tierPrice!.Value, wanted, holdId, now, expiresAt, cancellationToken)
            : await ClaimSeatsAsync(transaction, eventId, request.Seats!, holdId, now, expiresAt, cancellationToken);
        if (claimed.Problem is not null || claimed.Contended)
        {
            return new HoldOutcome(null, Problem: claimed.Problem, Contended: claimed.Contended);
        }

        var hold = new HoldView(holdId, eventId, "active", expiresAt, claimed.Units.Sum(unit => unit.Price), currency, claimed.Units);
        await using (var insert = transaction.Command(
            "INSERT INTO holds (hold_id, event_id, buyer_id, units, amount, status, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, 'active', $6, $7)",
            holdId, eventId, buyerId, hold.Units.Count, hold.Amount, now, expiresAt))
        {
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        // No wake-up call to the relay for this one: a NOTIFY per hold would serialize the crowd's
        // commits on PostgreSQL's notification queue; the relay's next round or poll takes it.
        await outbox.EnqueueAsync(transaction.Connection!, transaction, new HoldCreated(holdId, eventId, buyerId, hold.Units.Count, expiresAt), cancellationToken, wakeRelay: false);
        if (idempotency is { } used)
        {
            await IdempotencyKeys.RecordAsync(transaction, buyerId, used.Key, Location(holdId), hold, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return new HoldOutcome(hold);
    }

    private sealed record Claim(IReadOnlyList<HeldUnit> Units, ProblemHttpResult? Problem = null, bool Contended = false);

    private static async Task<Claim> ClaimFromTierAsync(
        NpgsqlTransaction transaction, Guid eventId, Guid tierId, decimal price, int quantity, Guid holdId, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken)
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

            await using var claim = transaction.Command(
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
            await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                units.Add(new HeldUnit(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt32(2), tierId, price));
            }
        }

        if (units.Count == quantity)
        {
            return new Claim(units);
        }

        // Fewer than asked: either sold out, or other buyers' claims had the rest locked and may
        // still roll back. Counting without locks (their changes are not visible yet) tells which.
        await using var free = transaction.Command(
            "SELECT count(*)::int FROM units WHERE event_id = $1 AND tier_id = $2 AND order_id IS NULL AND (held_until IS NULL OR held_until < $3)",
            eventId, tierId, now);
        var available = (int)(await free.ExecuteScalarAsync(cancellationToken))!;
        return available + units.Count >= quantity
            ? new Claim([], Contended: true)
            : new Claim([], SoldOut(available + units.Count));
    }

    private static async Task<Claim> ClaimSeatsAsync(
        NpgsqlTransaction transaction, Guid eventId, IReadOnlyList<SeatRequest> seats, Guid holdId, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var found = new List<(long Id, HeldUnit Unit, bool Free)>();
        await using (var select = transaction.Command(
            """
            SELECT u.unit_id, u.section, u.row_label, u.seat, u.tier_id, t.price,
                   u.order_id IS NULL AND (u.held_until IS NULL OR u.held_until < $5)
            FROM units u
            JOIN tiers t ON t.tier_id = u.tier_id
            JOIN unnest($2::text[], $3::text[], $4::int[]) AS w(section, row_label, seat)
              ON u.section = w.section AND u.row_label IS NOT DISTINCT FROM w.row_label AND u.seat = w.seat
            WHERE u.event_id = $1
            ORDER BY u.unit_id
            FOR UPDATE OF u
            """,
            eventId, seats.Select(seat => seat.Section).ToArray(), seats.Select(seat => seat.Row).ToArray(), seats.Select(seat => seat.Seat).ToArray(), now))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                found.Add((reader.GetInt64(0),
                    new HeldUnit(reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt32(3), reader.GetGuid(4), reader.GetDecimal(5)),
                    reader.GetBoolean(6)));
            }
        }

        if (found.Count < seats.Count)
        {
            var unknown = seats.Where(seat => !found.Any(unit => unit.Unit.Section == seat.Section && unit.Unit.Row == seat.Row && unit.Unit.Seat == seat.Seat));
            return new Claim([], Problems.Unprocessable("unknown-seats", "Some seats are not sold for this event.",
                "Not sold here: " + string.Join(", ", unknown.Select(Label)) + "."));
        }

        if (found.Where(unit => !unit.Free).Select(unit => unit.Unit).ToList() is { Count: > 0 } taken)
        {
            return new Claim([], Problems.Conflict("seats-unavailable", "Some seats are taken.",
                "Taken: " + string.Join(", ", taken.Select(unit => Label(new SeatRequest(unit.Section, unit.Row, unit.Seat)))) + ".",
                new() { ["seats"] = taken.Select(unit => new SeatRequest(unit.Section, unit.Row, unit.Seat)).ToList() }));
        }

        await using var update = transaction.Command(
            "UPDATE units SET hold_id = $1, held_until = $2 WHERE unit_id = ANY($3)", holdId, expiresAt, found.Select(unit => unit.Id).ToArray());
        await update.ExecuteNonQueryAsync(cancellationToken);
        return new Claim([.. found.Select(unit => unit.Unit)]);
    }

    /// <summary>Relative to POST .../events/{id}/holds, so it resolves both on booking's own address and through the gateway's /api/booking prefix.</summary>
    internal static string Location(Guid holdId) => $"../../holds/{holdId}";

    internal static ProblemHttpResult SoldOut(int available) =>
        Problems.Conflict("sold-out", "Not enough places left.",
            available == 0 ? "This tier is sold out." : $"Only {available} left in this tier.",
            new() { ["available"] = available });

    internal static string Label(SeatRequest seat) => seat.Row is null ? $"{seat.Section} place {seat.Seat}" : $"{seat.Section} {seat.Row}-{seat.Seat}";
}
