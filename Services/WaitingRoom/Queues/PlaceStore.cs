using Boxoffice.Postgres;
using Npgsql;

namespace Boxoffice.WaitingRoom.Queues;

/// <summary>The <c>places</c> table: one row per buyer and queue, its rank, when it was last seen, and its offer and claim.</summary>
internal static class PlaceStore
{
    private const string Columns = "event_id, buyer_id, rank, prequeue, joined_at, offered_at, claimed_at, admission_expires_at";

    /// <summary>
    /// A place the ticker may offer, aliased <paramref name="alias"/>, whose buyer was seen after
    /// the parameter <paramref name="seenAfter"/>: neither offered nor claimed, its buyer neither
    /// left nor gone silent for the abandon window. The one definition: the offers take these in
    /// rank order, and the snapshot's front and reach count them.
    /// </summary>
    public static string Offerable(string alias, string seenAfter) =>
        $"{alias}offered_at IS NULL AND {alias}claimed_at IS NULL AND {alias}left_at IS NULL AND {alias}last_seen_at > {seenAfter}";

    /// <summary>
    /// A "seen" mark younger than this is not written again: the gateway reports a polling buyer
    /// every couple of seconds, and the abandon window is a minute or more.
    /// </summary>
    public static readonly TimeSpan SeenResolution = TimeSpan.FromSeconds(5);

    public static async Task<Place?> FindAsync(NpgsqlTransaction transaction, Guid eventId, string buyerId, CancellationToken cancellationToken)
    {
        await using var select = transaction.Command($"SELECT {Columns} FROM places WHERE event_id = $1 AND buyer_id = $2", eventId, buyerId);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>
    /// Takes the place, seen now (and left at once when the join is answered "sold out":
    /// <paramref name="soldOut"/>); null when it could not be taken: the buyer has a place already,
    /// or (a pre-queue draw, once in billions) another place has the rank.
    /// </summary>
    public static async Task<Place?> TryInsertAsync(
        NpgsqlTransaction transaction, Guid eventId, string buyerId, long rank, bool prequeue, DateTimeOffset now, CancellationToken cancellationToken,
        bool soldOut = false)
    {
        await using var insert = transaction.Command(
            $"""
            INSERT INTO places (event_id, buyer_id, rank, prequeue, joined_at, last_seen_at, left_at)
            VALUES ($1, $2, $3, $4, $5, $5, CASE WHEN $6 THEN $5 END)
            ON CONFLICT DO NOTHING
            RETURNING {Columns}
            """,
            eventId, buyerId, rank, prequeue, now, soldOut);
        await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>
    /// The buyer asked for their admission: the place is seen now and, if <paramref name="claimable"/>
    /// and it holds an offer made after <paramref name="offeredAfter"/> that nobody claimed yet, it is
    /// claimed for <paramref name="admissionMinutes"/>. A claim is made once: asking again changes
    /// nothing of it. Null when the buyer has no place in the queue.
    /// </summary>
    public static async Task<Place?> SeenAndClaimAsync(
        NpgsqlTransaction transaction, Guid eventId, string buyerId, DateTimeOffset now, bool claimable, DateTimeOffset offeredAfter, int admissionMinutes,
        CancellationToken cancellationToken)
    {
        // SET sees the row as it was: both CASEs test the claim before this statement.
        await using var update = transaction.Command(
            $"""
            UPDATE places SET
                last_seen_at = greatest(last_seen_at, $3),
                left_at = NULL,
                claimed_at = CASE WHEN $4 AND claimed_at IS NULL AND offered_at > $5 THEN $3 ELSE claimed_at END,
                admission_expires_at = CASE WHEN $4 AND claimed_at IS NULL AND offered_at > $5 THEN $3 + make_interval(mins => $6) ELSE admission_expires_at END
            WHERE event_id = $1 AND buyer_id = $2
            RETURNING {Columns}
            """,
            eventId, buyerId, now, claimable, offeredAfter, admissionMinutes);
        await using var reader = await update.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>
    /// Marks the places of the buyers the gateway saw asking (<paramref name="seen"/>) as seen now
    /// and back in line, and those whose poll it answered "sold out" (<paramref name="toldSoldOut"/>)
    /// as left: out of line until they ask again. One statement per event and kind in one round
    /// trip; a "seen" mark younger than <see cref="SeenResolution"/> on a place still in line is
    /// left as it is. Returns how many places were marked.
    /// </summary>
    public static async Task<int> MarkSeenAsync(
        NpgsqlTransaction transaction, IReadOnlyDictionary<Guid, string[]> seen, IReadOnlyDictionary<Guid, string[]> toldSoldOut, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        if (seen.Count == 0 && toldSoldOut.Count == 0)
        {
            return 0;
        }

        var statements = seen.Select(marks => Sql.Statement(
            """
            UPDATE places p SET last_seen_at = $3, left_at = NULL
            FROM unnest($2::text[]) AS seen (buyer_id)
            WHERE p.event_id = $1 AND p.buyer_id = seen.buyer_id AND (p.last_seen_at < $4 OR p.left_at IS NOT NULL)
            """,
            marks.Key, marks.Value, now, now - SeenResolution)).Concat(toldSoldOut.Select(marks => Sql.Statement(
            // An admitted buyer's place is done with the line: nothing to leave.
            """
            UPDATE places p SET last_seen_at = greatest(p.last_seen_at, $3), left_at = $3
            FROM unnest($2::text[]) AS told (buyer_id)
            WHERE p.event_id = $1 AND p.buyer_id = told.buyer_id AND p.claimed_at IS NULL AND p.left_at IS NULL
            """,
            marks.Key, marks.Value, now)));
        await using var batch = transaction.Batch(statements);
        return await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>How many places were taken before the opening: the size of the frozen pre-queue.</summary>
    public static async Task<long> CountPrequeueAsync(NpgsqlTransaction transaction, Guid eventId, CancellationToken cancellationToken)
    {
        await using var count = transaction.Command("SELECT count(*) FROM places WHERE event_id = $1 AND prequeue", eventId);
        return (long)(await count.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Withdraws the offers nobody claimed that were made at or before <paramref name="offeredBy"/>,
    /// or whose buyers left since; the places wait again (those whose buyers left, out of line).
    /// Returns how many.
    /// </summary>
    public static async Task<int> WithdrawAbandonedAsync(NpgsqlTransaction transaction, Guid eventId, DateTimeOffset offeredBy, CancellationToken cancellationToken)
    {
        await using var update = transaction.Command(
            "UPDATE places SET offered_at = NULL WHERE event_id = $1 AND offered_at IS NOT NULL AND claimed_at IS NULL AND (offered_at <= $2 OR left_at IS NOT NULL)",
            eventId, offeredBy);
        return await update.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Buyers on their way to a hold, whose places booking's count may not include: offers made
    /// after <paramref name="unclaimedSince"/> that nobody claimed yet (their buyers are due to
    /// poll) and claims made after <paramref name="claimedSince"/> whose hold the queue has not
    /// seen, not those whose buyers left (the tick withdraws them); and every buyer whose hold the
    /// queue saw after <paramref name="heldSince"/> (booking's count may be older than that),
    /// however long ago they claimed.
    /// </summary>
    public static async Task<long> CountInFlightAsync(
        NpgsqlTransaction transaction, Guid eventId, DateTimeOffset unclaimedSince, DateTimeOffset claimedSince, DateTimeOffset heldSince,
        CancellationToken cancellationToken)
    {
        await using var count = transaction.Command(
            """
            SELECT count(*) FROM places
            WHERE event_id = $1
              AND (held_at > $4 OR (held_at IS NULL AND left_at IS NULL AND ((offered_at > $2 AND claimed_at IS NULL) OR claimed_at > $3)))
            """,
            eventId, unclaimedSince, claimedSince, heldSince);
        return (long)(await count.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Notes that the buyer of a place holds <paramref name="units"/> more places (booking's
    /// HoldCreated): when the queue first saw a hold of theirs (<paramref name="seenAt"/>, its own
    /// clock), and when booking took their first (<paramref name="takenAt"/>, the earliest of
    /// their holds whatever order the queue reads them in). A buyer with no place (an event
    /// without a waiting room, or one they did not queue for) changes nothing. Returns whether a
    /// place was marked.
    /// </summary>
    public static async Task<bool> MarkHeldAsync(
        NpgsqlTransaction transaction, Guid eventId, string buyerId, int units, DateTimeOffset takenAt, DateTimeOffset seenAt,
        CancellationToken cancellationToken)
    {
        // LEAST ignores a NULL: the first hold read sets it, an earlier one read later moves it back.
        await using var update = transaction.Command(
            """
            UPDATE places SET held_at = COALESCE(held_at, $3), hold_taken_at = LEAST(hold_taken_at, $5), held_units = held_units + $4
            WHERE event_id = $1 AND buyer_id = $2
            """,
            eventId, buyerId, seenAt, units, takenAt);
        return await update.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <summary>
    /// How the admitted buyers of an event have held so far: how many buyers' holds were seen and
    /// the places they took together, and the 90th percentile of the time from a claim to the hold
    /// (when booking took it, or when the queue saw it if that was earlier: a place marked before
    /// the hold's time was kept), over the last <paramref name="recent"/> holds seen (null when
    /// there were none).
    /// </summary>
    public static async Task<HoldPace> HoldPaceAsync(NpgsqlTransaction transaction, Guid eventId, int recent, CancellationToken cancellationToken)
    {
        await using var query = transaction.Command(
            """
            SELECT held.buyers, held.places,
                   (SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY seconds)
                    FROM (SELECT extract(epoch FROM LEAST(hold_taken_at, held_at) - claimed_at)::double precision AS seconds FROM places
                          WHERE event_id = $1 AND held_at IS NOT NULL AND claimed_at IS NOT NULL ORDER BY held_at DESC LIMIT $2) latest)
            FROM (SELECT count(*) AS buyers, coalesce(sum(held_units), 0)::bigint AS places FROM places WHERE event_id = $1 AND held_at IS NOT NULL) held
            """,
            eventId, recent);
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new HoldPace(
            reader.GetInt64(0),
            reader.GetInt64(1),
            reader.IsDBNull(2) ? null : TimeSpan.FromSeconds(Math.Max(0, reader.GetDouble(2))));
    }

    /// <summary>Admissions that count against MaxAdmitted: offers still open (made after <paramref name="offeredAfter"/>, unclaimed) and claims not yet expired.</summary>
    public static async Task<long> CountHoldingAsync(
        NpgsqlTransaction transaction, Guid eventId, DateTimeOffset offeredAfter, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var count = transaction.Command(
            """
            SELECT (SELECT count(*) FROM places WHERE event_id = $1 AND offered_at > $2 AND claimed_at IS NULL)
                 + (SELECT count(*) FROM places WHERE event_id = $1 AND claimed_at IS NOT NULL AND admission_expires_at > $3)
            """,
            eventId, offeredAfter, now);
        return (long)(await count.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Offers admission, now, to the <paramref name="limit"/> lowest ranks that are neither offered
    /// nor claimed, were seen after <paramref name="seenAfter"/> and whose buyers did not leave. Rows another transaction holds
    /// (a buyer's claim, a "seen" mark) are skipped this tick, not waited for.
    /// </summary>
    public static async Task<List<Offer>> OfferAsync(
        NpgsqlTransaction transaction, Guid eventId, int limit, DateTimeOffset seenAfter, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var offers = new List<Offer>();
        if (limit <= 0)
        {
            return offers;
        }

        await using var update = transaction.Command(
            $"""
            UPDATE places SET offered_at = $4, first_offered_at = coalesce(first_offered_at, $4)
            WHERE (event_id, buyer_id) IN (
                SELECT event_id, buyer_id FROM places
                WHERE event_id = $1 AND {Offerable("", "$3")}
                ORDER BY rank
                LIMIT $2
                FOR UPDATE SKIP LOCKED)
            RETURNING rank, first_offered_at = $4
            """,
            eventId, limit, seenAfter, now);
        await using var reader = await update.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            offers.Add(new Offer(reader.GetInt64(0), reader.GetBoolean(1)));
        }

        return offers;
    }

    private static Place Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetString(1),
        reader.GetInt64(2),
        reader.GetBoolean(3),
        reader.GetFieldValue<DateTimeOffset>(4),
        reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
        reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
        reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7));
}
