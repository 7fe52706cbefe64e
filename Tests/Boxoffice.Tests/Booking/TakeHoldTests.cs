using Npgsql;

namespace Boxoffice.Tests.Booking;

/// <summary>
/// The rules of a hold as booking's database function <c>take_hold</c> keeps them (migration
/// 0008), at their edges: when a sale takes holds, how much one buyer may have, which units a
/// claim takes, and that a claim that falls short leaves every unit as it was. Each case writes
/// its own event into booking's database in a transaction that is rolled back, so nothing of it
/// is left for the running app.
/// </summary>
[Collection<RunningApp>]
public sealed class TakeHoldTests(BoxofficeApp boxoffice)
{
    private static readonly DateTimeOffset Opens = new(2026, 12, 24, 18, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Closes = Opens.AddDays(1);
    private static readonly TimeSpan Microsecond = TimeSpan.FromTicks(10);

    [Fact]
    public async Task A_sale_on_sale_takes_holds_from_its_opening_up_to_but_not_at_its_close()
    {
        Assert.Equal("sale-not-open", (await TakeAsync(at: Opens - Microsecond)).Verdict);
        Assert.Equal("taken", (await TakeAsync(at: Opens)).Verdict);
        Assert.Equal("taken", (await TakeAsync(at: Closes - Microsecond)).Verdict);
        Assert.Equal("sale-not-open", (await TakeAsync(at: Closes)).Verdict);
    }

    [Theory]
    [InlineData("draft")]
    [InlineData("published")]
    [InlineData("closed")]
    [InlineData("cancelled")]
    public async Task A_sale_not_on_sale_takes_no_hold_even_inside_its_window(string status)
    {
        var attempt = await TakeAsync(at: Opens.AddHours(1), status: status);

        Assert.Equal("sale-not-open", attempt.Verdict);
        Assert.Equal(status, attempt.EventStatus);
    }

    [Theory]
    [InlineData(null, 6, 6)]
    [InlineData(2, 6, 2)]
    [InlineData(6, 6, 6)]
    [InlineData(10, 6, 6)]
    [InlineData(4, 4, 4)]
    [InlineData(1, 100, 1)]
    public async Task A_buyer_may_have_the_events_ticket_limit_never_more_than_bookings_cap(int? ticketLimit, int cap, int limit)
    {
        var atTheLimit = await TakeAsync(at: Opens, ticketLimit: ticketLimit, cap: cap, quantity: limit);
        var overIt = await TakeAsync(at: Opens, ticketLimit: ticketLimit, cap: cap, quantity: limit + 1);

        Assert.Equal("taken", atTheLimit.Verdict);
        Assert.Equal(limit, atTheLimit.Seats.Count);
        Assert.Equal("over-buyer-limit", overIt.Verdict);
        Assert.Equal(limit, overIt.BuyerLimit);
    }

    [Fact]
    public async Task A_claim_goes_around_from_its_random_start_to_the_lowest_free_places_and_lists_them_in_order()
    {
        // Of 100 places only the first and the last are free: unless the random start falls on the
        // first (one time in 100), the claim finds the last above it and the first only by going around.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var taken = await TakeAsync(at: Opens, quantity: 2, heldByOthers: "n BETWEEN 2 AND 99");

            Assert.Equal("taken", taken.Verdict);
            Assert.Equal(new[] { 1, 100 }, taken.Seats);
            Assert.Equal(new[] { "R1", "R100" }, taken.Rows);
        }
    }

    [Fact]
    public async Task A_claim_takes_places_whose_hold_lapsed_when_no_place_was_never_held()
    {
        var taken = await TakeAsync(at: Opens, quantity: 2, places: 3, heldByOthers: "n = 2", lapsed: "n <> 2");

        Assert.Equal("taken", taken.Verdict);
        Assert.Equal(new[] { 1, 3 }, taken.Seats);
        Assert.Empty(taken.LapsedAfter);
    }

    [Fact]
    public async Task A_claim_that_falls_short_puts_back_what_it_took_as_it_was_and_records_no_hold()
    {
        // Four places: one held by another buyer until after the attempt, one never held, and two
        // whose hold lapsed (its order may still be paid in its grace period). Three are free; four are asked for.
        var attempt = await TakeAsync(at: Opens, quantity: 4, places: 4, heldByOthers: "n = 1", lapsed: "n IN (3, 4)");

        Assert.Equal("sold-out", attempt.Verdict);
        Assert.Equal(3, attempt.Available);
        Assert.Empty(attempt.Seats);
        Assert.Equal(new[] { 2 }, attempt.NeverHeldAfter);
        Assert.Equal(new[] { 3, 4 }, attempt.LapsedAfter);
        Assert.Equal(0, attempt.HoldsRecorded);
    }

    [Theory]
    [InlineData(true, 0, 5)] // no place asked for
    [InlineData(false, 1, 5)] // neither a tier nor places
    [InlineData(true, 1, 0)] // a hold that ends as it is taken
    public async Task The_function_refuses_a_request_booking_would_never_send(bool byTier, int quantity, int minutes)
    {
        var refused = await Assert.ThrowsAsync<PostgresException>(() => TakeAsync(at: Opens, quantity: quantity, byTier: byTier, holdMinutes: minutes));

        Assert.Equal(PostgresErrorCodes.RaiseException, refused.SqlState);
    }

    /// <summary>
    /// <see cref="Seats"/> and <see cref="Rows"/>: the places the answer lists. After the attempt:
    /// <see cref="NeverHeldAfter"/>, the places with no hold; <see cref="LapsedAfter"/>, those that
    /// still name the lapsed hold, with the time it had.
    /// </summary>
    private sealed record Attempt(
        string Verdict, string? EventStatus, int? BuyerLimit, int? Available, IReadOnlyList<int> Seats, IReadOnlyList<string> Rows,
        IReadOnlyList<int> NeverHeldAfter, IReadOnlyList<int> LapsedAfter, long HoldsRecorded);

    /// <summary>
    /// One take_hold on an event of its own, <paramref name="places"/> places numbered 1 up in one
    /// tier (in unit order, place n in row "Rn"), in a transaction rolled back afterwards. <paramref name="heldByOthers"/>
    /// and <paramref name="lapsed"/> are conditions on a place's number <c>n</c>: held by another
    /// buyer until after the attempt, and held by a hold that lapsed before it.
    /// </summary>
    private async Task<Attempt> TakeAsync(
        DateTimeOffset at, string status = "on-sale", int? ticketLimit = null, int cap = 4, int quantity = 1, int places = 100,
        string heldByOthers = "false", string lapsed = "false", bool byTier = true, int holdMinutes = 5)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("bookingdb"));
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var (eventId, tierId, holdId, lapsedHoldId) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var lapsedUntil = at.AddMinutes(-1);
        await ExecuteAsync(connection, cancellationToken,
            """
            INSERT INTO events (event_id, version, organizer_id, name, currency, status, starts_at, sale_opens_at, sale_closes_at, ticket_limit)
            VALUES ($1, 1, 'take-hold', 'Take hold', 'EUR', $2, $4, $3, $4, $5)
            """, eventId, status, Opens, Closes, ticketLimit);
        await ExecuteAsync(connection, cancellationToken, "INSERT INTO tiers (tier_id, event_id, name, price, capacity) VALUES ($1, $2, 'Floor', 10, $3)", tierId, eventId, places);
        await ExecuteAsync(connection, cancellationToken,
            $"""
            INSERT INTO units (event_id, tier_id, section, row_label, seat, hold_id, held_until)
            SELECT $1, $2, 'Floor', 'R' || n, n,
                   CASE WHEN {heldByOthers} THEN gen_random_uuid() WHEN {lapsed} THEN $5 END,
                   CASE WHEN {heldByOthers} THEN $4 WHEN {lapsed} THEN $6 END
            FROM generate_series(1, $3) AS n ORDER BY n
            """,
            eventId, tierId, places, Closes, lapsedHoldId, lapsedUntil);

        string verdict;
        string? eventStatus;
        int? buyerLimit, available;
        int[] seats;
        string[] rows;
        await using (var take = new NpgsqlCommand(
            """
            SELECT verdict, event_status, buyer_limit, available, coalesce(seats, '{}'), coalesce(row_labels, '{}')
            FROM take_hold($1, $2, 'take-hold-buyer', $3, $4, $8, NULL, NULL, $5, $6, false, $7, 3, $5 - interval '15 minutes')
            """, connection)
        {
            Parameters =
            {
                new() { Value = holdId }, new() { Value = eventId }, new() { Value = byTier ? tierId : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid },
                new() { Value = quantity }, new() { Value = at }, new() { Value = at.AddMinutes(holdMinutes) }, new() { Value = cap },
                new() { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text },
            },
        })
        await using (var reader = await take.ExecuteReaderAsync(cancellationToken))
        {
            Assert.True(await reader.ReadAsync(cancellationToken));
            (verdict, eventStatus, buyerLimit, available, seats, rows) = (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetInt32(2), reader.IsDBNull(3) ? null : reader.GetInt32(3), reader.GetFieldValue<int[]>(4), reader.GetFieldValue<string[]>(5));
        }

        await using var after = new NpgsqlCommand(
            """
            SELECT (SELECT coalesce(array_agg(seat ORDER BY seat), '{}') FROM units WHERE event_id = $1 AND hold_id IS NULL AND held_until IS NULL),
                   (SELECT coalesce(array_agg(seat ORDER BY seat), '{}') FROM units WHERE event_id = $1 AND hold_id = $2 AND held_until = $3),
                   (SELECT count(*) FROM holds WHERE event_id = $1)
            """, connection)
        {
            Parameters = { new() { Value = eventId }, new() { Value = lapsedHoldId }, new() { Value = lapsedUntil } },
        };
        await using var state = await after.ExecuteReaderAsync(cancellationToken);
        Assert.True(await state.ReadAsync(cancellationToken));
        return new Attempt(verdict, eventStatus, buyerLimit, available, seats, rows, state.GetFieldValue<int[]>(0), state.GetFieldValue<int[]>(1), state.GetInt64(2));
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, CancellationToken cancellationToken, string sql, params object?[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
