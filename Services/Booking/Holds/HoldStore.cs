using Boxoffice.Booking.Inventory;
using Boxoffice.Contracts.Booking;
using Boxoffice.Contracts.WaitingRoom;
using Boxoffice.Messaging.Outbox;
using Boxoffice.Postgres;
using Npgsql;

namespace Boxoffice.Booking.Holds;

/// <summary>
/// Every statement on <c>holds</c>: take, read, release, and the status changes an order makes.
/// A buyer's holds on one event are serialized by an advisory lock, so the per-buyer cap (the
/// event's ticket limit, never more than <c>MaxUnitsPerBuyer</c>) cannot be raced; the units
/// themselves are claimed by <see cref="UnitStore"/>, which never oversells.
/// docs/adr/0006-holds.md explains the choice.
/// </summary>
internal static class HoldStore
{
    public static async Task<HoldOutcome> TakeAsync(
        NpgsqlTransaction transaction, OutboxWriter outbox, string buyerId, Guid eventId, HoldRequest request,
        IdempotentRequest? idempotency, PresentedAdmission admission, BookingOptions options, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (idempotency is not null && await IdempotencyStore.ClaimAsync(transaction, buyerId, idempotency, cancellationToken) is { } earlier)
        {
            return earlier.SameRequest ? new HoldOutcome.Taken(earlier.Answer<HoldView>(), Replayed: true) : new HoldOutcome.KeyReused();
        }

        var wanted = request.Quantity ?? request.Seats!.Count;
        var checks = await CheckAsync(transaction, buyerId, eventId, request.TierId, now, now - options.AbandonedHoldWindow, cancellationToken);
        // Before the sale's own checks: without an admission, the answer is the queue.
        if (checks.Sale is { WaitingRoom: true } && admission.Check(eventId, buyerId, now) is var check and not AdmissionCheck.Valid)
        {
            return new HoldOutcome.AdmissionRequired(check);
        }

        if (Refusal(checks, request, wanted, options, now) is { } refused)
        {
            return refused;
        }

        var holdId = Guid.CreateVersion7(now);
        var expiresAt = now + options.HoldDuration;
        // The hold's row and its event go in the claim's own round trip (RecordStatements).
        IEnumerable<NpgsqlBatchCommand> Record(decimal amount) => RecordStatements(outbox, holdId, eventId, buyerId, wanted, amount, now, expiresAt);
        var claim = request.TierId is { } tierId
            ? await UnitStore.ClaimFromTierAsync(transaction, eventId, tierId, checks.TierPrice!.Value, wanted, holdId, now, expiresAt, Record, cancellationToken)
            : await UnitStore.ClaimPlacesAsync(transaction, eventId, [.. request.Seats!.Select(seat => seat.Place)], holdId, now, expiresAt, Record, cancellationToken);
        if (claim is not UnitClaim.Claimed claimed)
        {
            return new HoldOutcome.NotClaimed(claim);
        }

        var hold = new HoldView(holdId, eventId, "active", expiresAt, claimed.Units.Sum(unit => unit.Price), checks.Sale!.Currency, claimed.Units);
        if (idempotency is not null)
        {
            await IdempotencyStore.RecordAsync(transaction, buyerId, idempotency, Location(holdId), hold, cancellationToken);
        }

        return new HoldOutcome.Taken(hold);
    }

    /// <summary>A buyer's hold as it is now, or null when there is none (or it is another buyer's).</summary>
    public static async Task<HoldView?> ReadAsync(NpgsqlConnection connection, Guid holdId, string buyerId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Guid eventId;
        string status;
        DateTimeOffset expiresAt;
        decimal amount;
        string currency;
        await using (var hold = connection.Command(
            "SELECT h.event_id, h.status, h.expires_at, h.amount, e.currency FROM holds h JOIN events e ON e.event_id = h.event_id WHERE h.hold_id = $1 AND h.buyer_id = $2",
            holdId, buyerId))
        await using (var reader = await hold.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            (eventId, status, expiresAt, amount, currency) = (reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetDecimal(3), reader.GetString(4));
        }

        var units = status is "released" or "expired" ? [] : await UnitStore.HeldByAsync(connection, holdId, cancellationToken);

        // An active hold past its time is expired, whether or not the sweeper has come by yet.
        return new HoldView(holdId, eventId, status == "active" && expiresAt <= now ? "expired" : status, expiresAt, amount, currency, units);
    }

    /// <summary>Gives the units back at once. Releasing a hold that already ended changes nothing; one that became an order cannot be released.</summary>
    public static async Task<HoldRelease> ReleaseAsync(NpgsqlTransaction transaction, Guid holdId, string buyerId, CancellationToken cancellationToken)
    {
        await using (var hold = transaction.Command("SELECT status FROM holds WHERE hold_id = $1 AND buyer_id = $2 FOR UPDATE", holdId, buyerId))
        {
            switch (await hold.ExecuteScalarAsync(cancellationToken))
            {
                case null:
                    return new HoldRelease.NotFound();
                case "released" or "expired":
                    return new HoldRelease.AlreadyEnded();
                case "active":
                    break;
                case string status:
                    return new HoldRelease.PartOfOrder(status);
            }
        }

        await using (var release = transaction.Command("UPDATE holds SET status = 'released' WHERE hold_id = $1", holdId))
        {
            await release.ExecuteNonQueryAsync(cancellationToken);
        }

        await UnitStore.ReleaseAsync(transaction, [holdId], cancellationToken);
        return new HoldRelease.Released();
    }

    /// <summary>Ends active holds past their expiry, up to <paramref name="limit"/>, taking only rows no other replica has locked; their units are freed.</summary>
    public static async Task<IReadOnlyList<HoldExpired>> ExpireAsync(NpgsqlTransaction transaction, DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        var expired = new List<HoldExpired>();
        await using (var expire = transaction.Command(
            """
            WITH due AS (
                SELECT hold_id FROM holds WHERE status = 'active' AND expires_at <= $1
                ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
            UPDATE holds h SET status = 'expired' FROM due WHERE h.hold_id = due.hold_id
            RETURNING h.hold_id, h.event_id, h.units
            """, now, limit))
        await using (var reader = await expire.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                expired.Add(new HoldExpired(reader.GetGuid(0), reader.GetGuid(1), reader.GetInt32(2)));
            }
        }

        if (expired.Count > 0)
        {
            await UnitStore.ReleaseAsync(transaction, [.. expired.Select(hold => hold.HoldId)], cancellationToken);
        }

        return expired;
    }

    /// <summary>
    /// Locks a buyer's hold for an order and reads it with its event's currency and status, or
    /// null when there is no such hold of the buyer's.
    /// </summary>
    public static async Task<HoldForOrder?> LockForOrderAsync(NpgsqlTransaction transaction, Guid holdId, string buyerId, CancellationToken cancellationToken)
    {
        await using var hold = transaction.Command(
            """
            SELECT h.event_id, h.status, h.expires_at, h.units, h.amount, e.currency, e.status, e.waiting_room
            FROM holds h JOIN events e ON e.event_id = h.event_id
            WHERE h.hold_id = $1 AND h.buyer_id = $2
            FOR UPDATE OF h
            """, holdId, buyerId);
        await using var reader = await hold.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new HoldForOrder(reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetInt32(3), reader.GetDecimal(4), reader.GetString(5), reader.GetString(6), reader.GetBoolean(7))
            : null;
    }

    /// <summary>
    /// Deletes up to <paramref name="limit"/> holds that ended without an order (<c>released</c> or
    /// <c>expired</c>) and whose time ran out before <paramref name="before"/> (a released hold ended
    /// earlier still), through the partial index <c>holds_ended</c>. Never a hold an order refers
    /// to (orders.hold_id is a foreign key), nor one a unit still names: ending a hold clears its
    /// units' hold_id, so that guard only keeps a row that would otherwise leave a unit dangling.
    /// </summary>
    public static async Task<int> PurgeEndedAsync(NpgsqlTransaction transaction, DateTimeOffset before, int limit, CancellationToken cancellationToken)
    {
        await using var purge = transaction.Command(
            """
            DELETE FROM holds WHERE hold_id = ANY(ARRAY(
                SELECT h.hold_id FROM holds h
                WHERE h.status IN ('released', 'expired') AND h.expires_at < $1
                  AND NOT EXISTS (SELECT 1 FROM units u WHERE u.hold_id = h.hold_id)
                  AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.hold_id = h.hold_id)
                ORDER BY h.expires_at LIMIT $2))
            """, before, limit);
        return await purge.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A batch statement setting a hold's status as its order moves on (<c>ordered</c>, <c>confirmed</c>, <c>cancelled</c>).</summary>
    public static NpgsqlBatchCommand StatusStatement(Guid holdId, string status) =>
        Sql.Statement("UPDATE holds SET status = $2 WHERE hold_id = $1", holdId, status);

    /// <summary>Relative to POST .../events/{id}/holds, so it resolves both on booking's own address and through the gateway's /api/booking prefix.</summary>
    public static string Location(Guid holdId) => $"../../holds/{holdId}";

    /// <summary>
    /// <see cref="Held"/>: units the buyer holds or owns on the event; <see cref="Abandoned"/>: when
    /// each of their holds on it that ended without an order, taken within the window, was taken,
    /// oldest first.
    /// </summary>
    private sealed record Checks(EventSale? Sale, int Held, decimal? TierPrice, IReadOnlyList<DateTimeOffset>? Abandoned = null);

    /// <summary>
    /// One round trip for every check: the buyer's lock (their holds on this event are taken one
    /// at a time, so the cap cannot be raced), the sale, what the buyer has, the tier's price.
    /// </summary>
    private static async Task<Checks> CheckAsync(
        NpgsqlTransaction transaction, string buyerId, Guid eventId, Guid? tierId, DateTimeOffset now, DateTimeOffset abandonedSince, CancellationToken cancellationToken)
    {
        await using var checks = transaction.Batch(
            Sql.Statement("SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2::text, 0))", buyerId, eventId),
            EventStore.SaleStatement(eventId),
            Sql.Statement(
                """
                SELECT coalesce(sum(units) FILTER (WHERE status IN ('ordered', 'confirmed') OR (status = 'active' AND expires_at > $3)), 0)::int,
                       coalesce(array_agg(created_at ORDER BY created_at) FILTER (WHERE abandoned), '{}')
                FROM (SELECT units, status, expires_at, created_at,
                             created_at > $4 AND (status IN ('released', 'expired') OR (status = 'active' AND expires_at <= $3)) AS abandoned
                      FROM holds WHERE buyer_id = $1 AND event_id = $2) AS buyers_holds
                """, buyerId, eventId, now, abandonedSince),
            EventStore.TierPriceStatement(tierId ?? Guid.Empty, eventId));
        await using var reader = await checks.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        if (await EventStore.ReadSaleAsync(reader, cancellationToken) is not { } sale)
        {
            return new Checks(null, 0, null);
        }

        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var (held, abandoned) = (reader.GetInt32(0), reader.GetFieldValue<DateTimeOffset[]>(1));
        await reader.NextResultAsync(cancellationToken);
        return new Checks(sale, held, await EventStore.ReadTierPriceAsync(reader, cancellationToken), abandoned);
    }

    private static HoldOutcome? Refusal(Checks checks, HoldRequest request, int wanted, BookingOptions options, DateTimeOffset now) => checks switch
    {
        { Sale: null } => new HoldOutcome.EventNotFound(),
        { Sale: var sale } when !sale.IsOpenAt(now) => new HoldOutcome.SaleNotOpen(sale.Status),
        // The wait ends when enough of them have left the window for one more to be allowed.
        { Abandoned: { } abandoned } when abandoned.Count >= options.MaxAbandonedHolds =>
            new HoldOutcome.TooManyAbandoned(abandoned.Count, abandoned[abandoned.Count - options.MaxAbandonedHolds] + options.AbandonedHoldWindow - now),
        { Sale: var sale, Held: var held } when held + wanted > sale.BuyerLimit(options.MaxUnitsPerBuyer) =>
            new HoldOutcome.OverBuyerLimit(sale.BuyerLimit(options.MaxUnitsPerBuyer), held),
        { TierPrice: null } when request.TierId is { } tierId => new HoldOutcome.UnknownTier(tierId),
        _ => null,
    };

    /// <summary>
    /// The hold's row and its HoldCreated event, for the claim's round trip: written only if the
    /// claim before them took a unit for the hold, so a claim that found none (a sold-out tier,
    /// the usual refusal in a crowd) leaves nothing behind for its rollback to undo. A claim that
    /// fell short after taking some is rolled back by the caller, these rows with it.
    /// </summary>
    private static IEnumerable<NpgsqlBatchCommand> RecordStatements(
        OutboxWriter outbox, Guid holdId, Guid eventId, string buyerId, int units, decimal amount, DateTimeOffset now, DateTimeOffset expiresAt)
    {
        // No wake-up call to the relay for this one: a NOTIFY per hold would serialize the crowd's
        // commits on PostgreSQL's notification queue; the relay's next round or poll takes it.
        var (_, created) = outbox.Statements(
            new HoldCreated(holdId, eventId, buyerId, units, expiresAt), wakeRelay: false,
            onlyIf: new OutboxCondition("EXISTS (SELECT 1 FROM holds WHERE hold_id = $8)", holdId));
        return [
            Sql.Statement(
                """
                INSERT INTO holds (hold_id, event_id, buyer_id, units, amount, status, created_at, expires_at)
                SELECT $1, $2, $3, $4, $5, 'active', $6, $7 WHERE EXISTS (SELECT 1 FROM units WHERE hold_id = $1)
                """,
                holdId, eventId, buyerId, units, amount, now, expiresAt),
            .. created];
    }
}
