using Boxoffice.Booking.Inventory;
using Boxoffice.Contracts.Booking;
using Boxoffice.Contracts.WaitingRoom;
using Boxoffice.Messaging.Outbox;
using Boxoffice.Postgres;
using Npgsql;

namespace Boxoffice.Booking.Holds;

/// <summary>
/// Every statement on <c>holds</c>: take, read, release, and the status changes an order makes.
/// A hold is taken by the database function <c>take_hold</c> (migration 0008), which also claims
/// its units: a buyer's holds on one event are serialized by an advisory lock, so the per-buyer
/// cap (the event's ticket limit, never more than <c>MaxUnitsPerBuyer</c>) cannot be raced, and
/// units are claimed under row locks, which never oversells. docs/adr/0006-holds.md and
/// docs/adr/0022-a-hold-in-one-round-trip.md explain the choices.
/// </summary>
internal static class HoldStore
{
    /// <summary>
    /// Takes a hold in one batch: <c>request_hold</c> (migration 0009) claims the request's
    /// <c>Idempotency-Key</c> when it has one (replaying the first hold to a key sent before), and
    /// <c>take_hold</c> (migration 0008) makes every check under the buyer's lock, claims the units
    /// and records the hold; the HoldCreated outbox row follows it, written only if the hold was.
    /// Outside a transaction PostgreSQL runs the batch as one implicit transaction, committed with
    /// its answer: one round trip, with or without a key. Every refusal leaves every row as it was
    /// (a claim that fell short puts back what it took, and a key is kept only with its hold).
    /// docs/adr/0022-a-hold-in-one-round-trip.md explains the choice.
    /// </summary>
    public static async Task<HoldOutcome> TakeAsync(
        NpgsqlConnection connection, OutboxWriter outbox, string buyerId, Guid eventId, HoldRequest request, IdempotentRequest? idempotency,
        PresentedAdmission admission, BookingOptions options, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Checked before the event is read: booking's signature check costs microseconds, and the
        // database says whether the event needs it.
        var check = admission.Check(eventId, buyerId, now);
        var wanted = request.Quantity ?? request.Seats!.Count;
        var seats = request.Seats?.Select(seat => seat.Place).ToList();
        var holdId = Guid.CreateVersion7(now);
        var expiresAt = now + options.HoldDuration;
        // No wake-up call to the relay for this one: a NOTIFY per hold would serialize the crowd's
        // commits on PostgreSQL's notification queue; the relay's next round or poll takes it.
        var (_, created) = outbox.Statements(
            new HoldCreated(holdId, eventId, buyerId, wanted, expiresAt), wakeRelay: false,
            onlyIf: new OutboxCondition("EXISTS (SELECT 1 FROM holds WHERE hold_id = {parameter})", holdId));
        await using var batch = connection.Batch([
            Sql.Statement(
                """
                SELECT (r.attempt).verdict, (r.attempt).event_status, (r.attempt).currency, (r.attempt).buyer_limit, (r.attempt).held, (r.attempt).abandoned,
                       (r.attempt).available, (r.attempt).sections, (r.attempt).row_labels, (r.attempt).seats, (r.attempt).tier_ids, (r.attempt).prices,
                       (r.attempt).free, r.earlier_hold_id, r.earlier_expires_at, r.earlier_body
                FROM request_hold($1::text, $2::bytea, $3, $4, $5, $6::uuid, $7::integer, $8::text[], $9::text[], $10::integer[], $11, $12, $13, $14, $15, $16) r
                """,
                idempotency?.Key, idempotency?.Fingerprint, holdId, eventId, buyerId, request.TierId, request.Quantity,
                seats?.Select(place => place.Section).ToArray(), seats?.Select(place => place.Row).ToArray(), seats?.Select(place => place.Seat).ToArray(),
                now, expiresAt, check == AdmissionCheck.Valid, options.MaxUnitsPerBuyer, options.MaxAbandonedHolds, now - options.AbandonedHoldWindow),
            .. created]);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var verdict = reader.GetString(0);
        var units = Units(reader);
        HoldView Active(Guid id, DateTimeOffset until) => new(id, eventId, "active", until, units.Sum(unit => unit.Price), reader.GetString(2), units);
        HoldOutcome outcome = verdict switch
        {
            "taken" => new HoldOutcome.Taken(Active(holdId, expiresAt)),
            // The key's first hold, answered as it was then.
            "replayed" => new HoldOutcome.Taken(Active(reader.GetGuid(13), reader.GetFieldValue<DateTimeOffset>(14)), Replayed: true),
            // Recorded as booking's JSON answer, before migration 0009 or by an older build's replica.
            "replayed-body" => new HoldOutcome.Taken(IdempotencyStore.AnswerOf<HoldView>(reader.GetFieldValue<byte[]>(15)), Replayed: true),
            "key-reused" => new HoldOutcome.KeyReused(),
            "event-not-found" => new HoldOutcome.EventNotFound(),
            "admission-required" => new HoldOutcome.AdmissionRequired(check),
            "sale-not-open" => new HoldOutcome.SaleNotOpen(reader.GetString(1)),
            "too-many-abandoned" => TooManyAbandoned(reader.GetFieldValue<DateTimeOffset[]>(5), options, now),
            "over-buyer-limit" => new HoldOutcome.OverBuyerLimit(reader.GetInt32(3), reader.GetInt32(4)),
            "unknown-tier" => new HoldOutcome.UnknownTier(request.TierId!.Value),
            "sold-out" => new HoldOutcome.NotClaimed(new UnitClaim.SoldOut(reader.GetInt32(6))),
            "contended" => new HoldOutcome.NotClaimed(new UnitClaim.Contended()),
            "unknown-places" => new HoldOutcome.NotClaimed(new UnitClaim.UnknownPlaces([.. seats!.Except(units.Select(PlaceOf))])),
            "places-taken" => new HoldOutcome.NotClaimed(new UnitClaim.PlacesTaken([.. units.Zip(reader.GetFieldValue<bool[]>(12)).Where(unit => !unit.Second).Select(unit => PlaceOf(unit.First))])),
            _ => throw new InvalidOperationException($"request_hold answered '{verdict}', which booking does not know."),
        };
        while (await reader.NextResultAsync(cancellationToken))
        {
        }

        return outcome;
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

    /// <summary>The units <c>take_hold</c> answered with (those claimed, or the named places it found; for a replay, those of the key's first hold), in unit order.</summary>
    private static List<HeldUnit> Units(NpgsqlDataReader reader)
    {
        if (reader.IsDBNull(7))
        {
            return [];
        }

        var (sections, rows, seats, tiers, prices) = (reader.GetFieldValue<string[]>(7), reader.GetFieldValue<string?[]>(8), reader.GetFieldValue<int[]>(9),
            reader.GetFieldValue<Guid[]>(10), reader.GetFieldValue<decimal[]>(11));
        return [.. sections.Select((section, index) => new HeldUnit(section, rows[index], seats[index], tiers[index], prices[index]))];
    }

    private static Place PlaceOf(HeldUnit unit) => new(unit.Section, unit.Row, unit.Seat);

    /// <summary>The buyer gave up <paramref name="abandoned"/> (oldest first) lately, the most allowed: the wait ends when enough have left the window for one more.</summary>
    private static HoldOutcome.TooManyAbandoned TooManyAbandoned(DateTimeOffset[] abandoned, BookingOptions options, DateTimeOffset now) =>
        new(abandoned.Length, abandoned[abandoned.Length - options.MaxAbandonedHolds] + options.AbandonedHoldWindow - now);
}
