using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Npgsql;

namespace Boxoffice.Tests.Booking;

/// <summary>A buyer's way through a sale, through the gateway: hold, order, payment, tickets, the door.</summary>
[Collection<RunningApp>]
public sealed class BookingFlowTests(BoxofficeApp boxoffice)
{
    [Fact]
    public async Task A_pending_order_says_when_to_look_again_and_a_decided_one_does_not()
    {
        var sale = await Sale.OpenAsync(boxoffice, standingPlaces: 5);
        using var buyer = await Buyer.NewAsync(boxoffice);
        using var provider = await Payments.Provider.ConnectAsync(boxoffice);
        var hold = await buyer.HoldAsync(sale);
        Guid orderId;
        try
        {
            // Every charge takes 3 s, so the order is still waiting for its payment when asked.
            await provider.SetChaosAsync(new { latencyMs = 3000 });
            using var placed = await buyer.SendAsync(HttpMethod.Post, "/orders", new { holdId = hold.GetProperty("holdId").GetGuid() }, cancellationToken: TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Created, placed.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(2), placed.Headers.RetryAfter?.Delta);
            orderId = JsonDocument.Parse(await placed.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("orderId").GetGuid();
            using var pending = await buyer.SendAsync(HttpMethod.Get, $"/orders/{orderId}", cancellationToken: TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, pending.StatusCode);
            Assert.Contains("\"pending-payment\"", await pending.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

            // Booking's pace for a pending order's polls (Booking:PendingOrderPollInterval, 2 s).
            Assert.Equal(TimeSpan.FromSeconds(2), pending.Headers.RetryAfter?.Delta);
        }
        finally
        {
            await provider.CalmAsync();
        }

        Assert.Equal("confirmed", (await buyer.SettledOrderAsync(orderId)).GetProperty("status").GetString());
        using var decided = await buyer.SendAsync(HttpMethod.Get, $"/orders/{orderId}", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, decided.StatusCode);
        Assert.Null(decided.Headers.RetryAfter);
    }

    [Fact]
    public async Task A_paid_order_is_confirmed_with_tickets_a_scanner_can_verify_offline_and_admit_once()
    {
        var sale = await Sale.OpenAsync(boxoffice);
        using var buyer = await Buyer.NewAsync(boxoffice);
        var hold = await buyer.HoldAsync(sale, quantity: 2);
        Assert.Equal("active", hold.GetProperty("status").GetString());
        Assert.Equal(60m, hold.GetProperty("amount").GetDecimal());
        Assert.Equal(2, hold.GetProperty("units").GetArrayLength());

        var orderId = await buyer.OrderAsync(hold.GetProperty("holdId").GetGuid());
        var order = await buyer.SettledOrderAsync(orderId);
        Assert.Equal("confirmed", order.GetProperty("status").GetString());

        var tickets = await buyer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/orders/{orderId}/tickets");
        Assert.Equal(2, tickets.GetArrayLength());
        Assert.Equal(2, tickets.EnumerateArray().Select(ticket => ticket.GetProperty("seat").GetString()).Distinct().Count());

        // Offline: the public key alone tells a real code from an altered one.
        using var anonymous = boxoffice.CreateGatewayClient();
        var key = JsonDocument.Parse(await anonymous.GetStringAsync("/api/booking/tickets/signing-key", TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal("ES256", key.GetProperty("algorithm").GetString());
        using var publicKey = ECDsa.Create();
        publicKey.ImportFromPem(key.GetProperty("publicKey").GetString());
        var code = tickets[0].GetProperty("code").GetString()!;
        Assert.True(VerifiesOffline(publicKey, code));
        var payload = Base64Url.DecodeFromChars(code.Split('.')[0]);
        Assert.Equal(tickets[0].GetProperty("ticketId").GetGuid(), JsonDocument.Parse(payload).RootElement.GetProperty("tid").GetGuid());
        Assert.False(VerifiesOffline(publicKey, Base64Url.EncodeToString(Tamper(payload)) + "." + code.Split('.')[1]));

        using var staff = await Buyer.StaffAsync(boxoffice, sale);
        var admitted = await staff.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, "/tickets/check-in", new { code });
        Assert.Equal("checked-in", admitted.GetProperty("status").GetString());
        var again = await staff.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Post, "/tickets/check-in", new { code });
        Assert.Equal("https://boxoffice.dev/problems/already-checked-in", again.GetProperty("type").GetString());
        Assert.Equal(admitted.GetProperty("checkedInAt").GetDateTimeOffset(), again.GetProperty("checkedInAt").GetDateTimeOffset());

        var mine = await buyer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/tickets");
        Assert.Equal(2, mine.GetArrayLength());
        Assert.Single(mine.EnumerateArray(), ticket => ticket.GetProperty("checkedInAt").ValueKind != JsonValueKind.Null);

        // A page at a time: the Link header leads to the next page, and the last page has none.
        using var first = await buyer.SendAsync(HttpMethod.Get, "/tickets?limit=1", cancellationToken: TestContext.Current.CancellationToken);
        var next = Assert.Single(first.Headers.GetValues("Link"));
        Assert.Matches("^<\\?limit=1&after=[0-9a-f-]{36}>; rel=\"next\"$", next);
        var firstPage = JsonDocument.Parse(await first.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        using var second = await buyer.SendAsync(HttpMethod.Get, "/tickets" + next[1..next.IndexOf('>', StringComparison.Ordinal)], cancellationToken: TestContext.Current.CancellationToken);
        Assert.False(second.Headers.Contains("Link"));
        var secondPage = JsonDocument.Parse(await second.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal(mine.EnumerateArray().Select(ticket => ticket.GetProperty("ticketId").GetGuid()),
            firstPage.EnumerateArray().Concat(secondPage.EnumerateArray()).Select(ticket => ticket.GetProperty("ticketId").GetGuid()));
    }

    [Theory]
    [InlineData(2)] // only lapsed places: the claim's pass over lapsed units takes them all
    [InlineData(3)] // one never held, two lapsed: the never-held pass takes one, the lapsed pass the rest
    public async Task Places_whose_hold_lapsed_are_held_again_and_the_new_hold_is_recorded_once_with_its_event(int places)
    {
        var sale = await Sale.OpenAsync(boxoffice, standingPlaces: places);
        using var first = await Buyer.NewAsync(boxoffice);
        using var second = await Buyer.NewAsync(boxoffice);
        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("bookingdb"));
        var lapsed = await first.HoldAsync(sale, quantity: 2);
        // Both places' hold time has passed, and nothing has given them back yet, so only the
        // claim of lapsed places can take them. (The hold row keeps its own expiry, so the expiry
        // sweep leaves it alone while this runs.)
        await BookingInvariantTests.ScalarAsync(db, "UPDATE units SET held_until = now() - interval '1 second' WHERE hold_id = $1", lapsed.GetProperty("holdId").GetGuid());

        var hold = await second.HoldAsync(sale, quantity: places);
        var holdId = hold.GetProperty("holdId").GetGuid();
        var price = lapsed.GetProperty("amount").GetDecimal() / 2;
        Assert.Equal(price * places, hold.GetProperty("amount").GetDecimal());
        Assert.Equal(places, hold.GetProperty("units").GetArrayLength());
        Assert.Equal((long)places, await BookingInvariantTests.ScalarAsync(db, "SELECT count(*) FROM units WHERE hold_id = $1", holdId));
        Assert.Equal(places, (int)(await BookingInvariantTests.ScalarAsync(db, "SELECT units FROM holds WHERE hold_id = $1 AND buyer_id = $2", holdId, second.Id))!);
        Assert.Equal(price * places, (decimal)(await BookingInvariantTests.ScalarAsync(db, "SELECT amount FROM holds WHERE hold_id = $1", holdId))!);
        Assert.Equal(1L, await BookingInvariantTests.ScalarAsync(db, "SELECT count(*) FROM outbox WHERE type = 'boxoffice.booking.hold-created' AND key = $1", holdId.ToString()));
    }

    [Fact]
    public async Task A_buyer_with_a_thousand_orders_pages_through_every_one_newest_first()
    {
        var ct = TestContext.Current.CancellationToken;
        var sale = await Sale.OpenAsync(boxoffice);
        using var buyer = await Buyer.NewAsync(boxoffice);
        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("bookingdb"));
        // A thousand ended orders of one buyer, three to an instant, so that pages must break ties.
        await BookingInvariantTests.ScalarAsync(db,
            """
            WITH made AS (
                INSERT INTO holds (hold_id, event_id, buyer_id, units, amount, status, created_at, expires_at)
                SELECT gen_random_uuid(), $2, $1, 1, 10, 'cancelled', now() - make_interval(secs => i / 3), now() - make_interval(secs => i / 3)
                FROM generate_series(1, 1000) AS i
                RETURNING hold_id, created_at)
            INSERT INTO orders (order_id, hold_id, event_id, buyer_id, amount, currency, units, status, cancel_reason, created_at, pay_by, updated_at)
            SELECT gen_random_uuid(), hold_id, $2, $1, 10, 'EUR', 1, 'cancelled', 'a paging test', created_at, created_at, created_at FROM made
            """, buyer.Id, sale.EventId);

        var listed = new List<Guid>();
        var path = "/orders?limit=100";
        for (var pages = 1; ; pages++)
        {
            Assert.True(pages <= 10, "More than ten pages of a hundred for a thousand orders.");
            using var response = await buyer.SendAsync(HttpMethod.Get, path, cancellationToken: ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement;
            listed.AddRange(page.EnumerateArray().Select(order => order.GetProperty("orderId").GetGuid()));
            if (!response.Headers.TryGetValues("Link", out var links))
            {
                break;
            }

            var link = Assert.Single(links);
            path = "/orders" + link[1..link.IndexOf('>', StringComparison.Ordinal)];
        }

        var expected = new List<Guid>();
        await using (var command = db.CreateCommand("SELECT order_id FROM orders WHERE buyer_id = $1 ORDER BY created_at DESC, order_id DESC"))
        {
            command.Parameters.AddWithValue(buyer.Id);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                expected.Add(reader.GetGuid(0));
            }
        }

        Assert.Equal(1000, expected.Count);
        Assert.Equal(expected, listed);
        // Without a limit, a page of 50.
        Assert.Equal(50, (await buyer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/orders")).GetArrayLength());
    }

    [Fact]
    public async Task Named_seats_are_held_by_one_buyer_only_and_free_again_when_released()
    {
        var sale = await Sale.OpenAsync(boxoffice);
        using var first = await Buyer.NewAsync(boxoffice);
        using var second = await Buyer.NewAsync(boxoffice);
        var seats = new { seats = new[] { new { section = "Stalls", row = "A", seat = 3 }, new { section = "Stalls", row = "A", seat = 4 } } };

        var hold = await first.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/events/{sale.EventId}/holds", seats);
        Assert.Equal(91m, hold.GetProperty("amount").GetDecimal());
        var taken = await second.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Post, $"/events/{sale.EventId}/holds", seats);
        Assert.Equal("https://boxoffice.dev/problems/seats-unavailable", taken.GetProperty("type").GetString());
        Assert.Equal(2, taken.GetProperty("seats").GetArrayLength());

        await first.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/holds/{hold.GetProperty("holdId").GetGuid()}");
        await second.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/events/{sale.EventId}/holds", seats);
    }

    [Fact]
    public async Task A_buyer_who_keeps_giving_up_holds_on_an_event_must_wait_before_holding_it_again()
    {
        var ct = TestContext.Current.CancellationToken;
        var sale = await Sale.OpenAsync(boxoffice);
        var other = await Sale.OpenAsync(boxoffice);
        using var looper = await Buyer.NewAsync(boxoffice);
        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("bookingdb"));

        // Two holds released, a third left to expire: three given up within the hour, the most allowed.
        for (var round = 0; round < 2; round++)
        {
            var released = await looper.HoldAsync(sale, quantity: 2);
            await looper.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/holds/{released.GetProperty("holdId").GetGuid()}");
        }

        var expired = (await looper.HoldAsync(sale, quantity: 2)).GetProperty("holdId").GetGuid();
        await BookingInvariantTests.ScalarAsync(db, "UPDATE holds SET expires_at = now() - interval '1 second' WHERE hold_id = $1", expired);

        using var refused = await looper.SendAsync(HttpMethod.Post, $"/events/{sale.EventId}/holds", new { tierId = sale.StandingTierId, quantity = 1 }, cancellationToken: ct);
        var problem = await WaitingRoom.ProblemAnswer.ExpectAsync(refused, HttpStatusCode.TooManyRequests, "abandoned-holds", "a fourth hold after three given up");
        Assert.Equal(3, problem.GetProperty("abandoned").GetInt32());
        Assert.InRange(refused.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromMinutes(50), TimeSpan.FromHours(1));
        Assert.Equal(0L, await BookingInvariantTests.ScalarAsync(db,
            "SELECT count(*) FROM holds WHERE buyer_id = $1 AND event_id = $2 AND status = 'active' AND expires_at > now()", looper.Id, sale.EventId));

        // The wait is this buyer's on this event alone.
        using var someoneElse = await Buyer.NewAsync(boxoffice);
        await someoneElse.HoldAsync(sale, quantity: 2);
        await looper.HoldAsync(other, quantity: 2);
    }

    [Fact]
    public async Task A_retried_request_with_the_same_idempotency_key_gets_the_first_answer_and_holds_nothing_more()
    {
        var sale = await Sale.OpenAsync(boxoffice);
        using var buyer = await Buyer.NewAsync(boxoffice);
        var key = Guid.NewGuid().ToString();

        var first = await buyer.HoldAsync(sale, quantity: 2, idempotencyKey: key);
        var retried = await buyer.HoldAsync(sale, quantity: 2, idempotencyKey: key);
        // The first answer as it was: the same hold, places, price and expiry.
        Assert.Equal(first.GetRawText(), retried.GetRawText());

        var orderKey = Guid.NewGuid().ToString();
        var holdId = first.GetProperty("holdId").GetGuid();
        var order = await buyer.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/orders", new { holdId }, orderKey);
        var orderAgain = await buyer.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/orders", new { holdId }, orderKey);
        Assert.Equal(order.GetProperty("orderId").GetGuid(), orderAgain.GetProperty("orderId").GetGuid());

        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("bookingdb"));
        await using var count = db.CreateCommand("SELECT count(*) FROM holds WHERE buyer_id = $1");
        count.Parameters.Add(new() { Value = buyer.Id });
        Assert.Equal(1L, await count.ExecuteScalarAsync(TestContext.Current.CancellationToken));
        await using var orders = db.CreateCommand("SELECT count(*) FROM orders WHERE buyer_id = $1");
        orders.Parameters.Add(new() { Value = buyer.Id });
        Assert.Equal(1L, await orders.ExecuteScalarAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Concurrent_retries_with_one_idempotency_key_all_get_the_one_hold_they_made()
    {
        var sale = await Sale.OpenAsync(boxoffice);
        using var buyer = await Buyer.NewAsync(boxoffice);
        var key = Guid.NewGuid().ToString();

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => buyer.HoldAsync(sale, quantity: 2, idempotencyKey: key)));

        Assert.Single(answers.Select(answer => answer.GetRawText()).Distinct());
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM holds WHERE buyer_id = $1", buyer.Id));
        Assert.Equal(2L, await CountAsync("SELECT count(*) FROM units u JOIN holds h ON h.hold_id = u.hold_id WHERE h.buyer_id = $1", buyer.Id));
    }

    [Fact]
    public async Task A_retried_hold_of_named_seats_gets_the_same_seats_rows_and_prices()
    {
        var sale = await Sale.OpenAsync(boxoffice);
        using var buyer = await Buyer.NewAsync(boxoffice);
        var key = Guid.NewGuid().ToString();
        var seats = new { seats = new[] { new { section = "Stalls", row = "B", seat = 7 }, new { section = "Stalls", row = "B", seat = 8 } } };

        var first = await buyer.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/events/{sale.EventId}/holds", seats, key);
        var retried = await buyer.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/events/{sale.EventId}/holds", seats, key);

        Assert.Equal(first.GetRawText(), retried.GetRawText());
        Assert.Equal(["B", "B"], retried.GetProperty("units").EnumerateArray().Select(unit => unit.GetProperty("row").GetString()));
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM holds WHERE buyer_id = $1", buyer.Id));
    }

    [Fact]
    public async Task A_key_recorded_with_its_json_answer_by_an_older_build_is_replayed_as_it_was()
    {
        var sale = await Sale.OpenAsync(boxoffice);
        using var buyer = await Buyer.NewAsync(boxoffice);
        var key = Guid.NewGuid().ToString();
        var first = await buyer.HoldAsync(sale, quantity: 2, idempotencyKey: key);

        // As booking recorded a hold's key before migration 0009: the answer's JSON, no attempt.
        Assert.Equal(1L, await CountAsync(
            """
            WITH recorded AS (
                UPDATE idempotency_keys SET location = '../../holds/' || hold_id, body = convert_to($3, 'UTF8'), hold_id = NULL, hold_expires_at = NULL, hold_attempt = NULL
                WHERE buyer_id = $1 AND key = $2 RETURNING 1)
            SELECT count(*) FROM recorded
            """, buyer.Id, key, first.GetRawText()));

        var retried = await buyer.HoldAsync(sale, quantity: 2, idempotencyKey: key);
        Assert.Equal(first.GetRawText(), retried.GetRawText());
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM holds WHERE buyer_id = $1", buyer.Id));
    }

    [Fact]
    public async Task A_refused_hold_keeps_no_idempotency_key_so_the_same_request_may_be_sent_again()
    {
        var sale = await Sale.OpenAsync(boxoffice);
        using var buyer = await Buyer.NewAsync(boxoffice);
        var first = await buyer.HoldAsync(sale, quantity: BoxofficeApp.MaxUnitsPerBuyer - 1);
        var key = Guid.NewGuid().ToString();

        // Over the buyer's limit while the first hold stands: refused, nothing held.
        var refused = await buyer.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Post, $"/events/{sale.EventId}/holds",
            new { tierId = sale.StandingTierId, quantity = 2 }, key);
        Assert.Equal("https://boxoffice.dev/problems/buyer-limit", refused.GetProperty("type").GetString());

        // Once it is released, the same request with the same key is taken, not replayed as the refusal.
        await buyer.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/holds/{first.GetProperty("holdId").GetGuid()}");
        var taken = await buyer.HoldAsync(sale, quantity: 2, idempotencyKey: key);
        Assert.Equal(2, taken.GetProperty("units").GetArrayLength());
        Assert.Equal(taken.GetRawText(), (await buyer.HoldAsync(sale, quantity: 2, idempotencyKey: key)).GetRawText());
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM holds WHERE buyer_id = $1 AND status = 'active'", buyer.Id));
    }

    [Fact]
    public async Task A_buyer_cannot_hold_more_than_the_cap_even_with_concurrent_requests()
    {
        var sale = await Sale.OpenAsync(boxoffice);
        using var buyer = await Buyer.NewAsync(boxoffice);

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var response = await buyer.SendAsync(HttpMethod.Post, $"/events/{sale.EventId}/holds", new { tierId = sale.StandingTierId, quantity = 1 });
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }));

        Assert.Equal(BoxofficeApp.MaxUnitsPerBuyer, answers.Count(answer => answer.StatusCode == HttpStatusCode.Created));
        Assert.All(answers.Where(answer => answer.StatusCode != HttpStatusCode.Created), answer =>
        {
            Assert.Equal(HttpStatusCode.Conflict, answer.StatusCode);
            Assert.Contains("buyer-limit", answer.Body, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task An_unpaid_hold_expires_and_its_places_go_back_on_sale()
    {
        var sale = await Sale.OpenAsync(boxoffice, standingPlaces: 3);
        using var buyer = await Buyer.NewAsync(boxoffice);
        using var other = await Buyer.NewAsync(boxoffice);
        var hold = await buyer.HoldAsync(sale, quantity: 3);
        var soldOut = await other.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Post, $"/events/{sale.EventId}/holds", new { tierId = sale.StandingTierId, quantity = 1 });
        Assert.Equal("https://boxoffice.dev/problems/sold-out", soldOut.GetProperty("type").GetString());

        await Task.Delay(BoxofficeApp.HoldDuration + TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);

        var expired = await buyer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/holds/{hold.GetProperty("holdId").GetGuid()}");
        Assert.Equal("expired", expired.GetProperty("status").GetString());
        var late = await buyer.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Post, "/orders", new { holdId = hold.GetProperty("holdId").GetGuid() });
        Assert.Equal("expired", late.GetProperty("holdStatus").GetString());
        await other.HoldAsync(sale, quantity: 3);
    }

    [Fact]
    public async Task Cancelling_an_event_cancels_and_refunds_its_paid_orders_and_voids_their_tickets()
    {
        using var organizer = await Catalog.Organizer.NewAsync(boxoffice);
        var sale = await Sale.OpenAsync(boxoffice, by: organizer);
        using var buyer = await Buyer.NewAsync(boxoffice);
        var orderId = await buyer.OrderAsync((await buyer.HoldAsync(sale)).GetProperty("holdId").GetGuid());
        Assert.Equal("confirmed", (await buyer.SettledOrderAsync(orderId)).GetProperty("status").GetString());
        var code = (await buyer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/orders/{orderId}/tickets"))[0].GetProperty("code").GetString();

        await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/organizer/events/{sale.EventId}/cancel");

        using var provider = await Payments.Provider.ConnectAsync(boxoffice);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonElement order;
        while ((order = await buyer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/orders/{orderId}")).GetProperty("status").GetString() != "refunded")
        {
            Assert.True(DateTime.UtcNow < deadline, $"The order is {order.GetProperty("status").GetString()}, not refunded, 60 s after the event was cancelled.");
            await Task.Delay(500, TestContext.Current.CancellationToken);
        }

        Assert.Equal("event-cancelled", order.GetProperty("cancelReason").GetString());
        var charge = (await provider.ChargeAsync(orderId))!.Value;
        Assert.Equal(charge.GetProperty("amount").GetDecimal(), charge.GetProperty("refundedAmount").GetDecimal());
        using var staff = await Buyer.StaffAsync(boxoffice, sale);
        var refused = await staff.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Post, "/tickets/check-in", new { code });
        Assert.Equal("https://boxoffice.dev/problems/ticket-void", refused.GetProperty("type").GetString());
    }

    /// <summary>A count from booking's database.</summary>
    private async Task<long> CountAsync(string sql, params object[] parameters)
    {
        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("bookingdb"));
        return (long)(await BookingInvariantTests.ScalarAsync(db, sql, parameters))!;
    }

    private static bool VerifiesOffline(ECDsa publicKey, string code)
    {
        var parts = code.Split('.');
        return parts.Length == 2 && publicKey.VerifyData(Base64Url.DecodeFromChars(parts[0]), Base64Url.DecodeFromChars(parts[1]), HashAlgorithmName.SHA256);
    }

    private static byte[] Tamper(byte[] payload)
    {
        var text = System.Text.Encoding.UTF8.GetString(payload);
        return System.Text.Encoding.UTF8.GetBytes(text.Replace("\"seat\":\"", "\"seat\":\"VIP ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_crowd_refreshing_availability_is_answered_from_the_gateway_for_a_second_each_answer_with_its_own_request_id()
    {
        var sale = await Sale.OpenAsync(boxoffice, standingPlaces: 5);
        using var buyer = await Buyer.NewAsync(boxoffice);
        using var gateway = boxoffice.CreateGatewayClient();
        var path = $"/api/booking/events/{sale.EventId}/availability";

        // One client, one kept-alive connection, so one gateway replica (each keeps its own copy).
        using var first = await gateway.GetAsync(path, TestContext.Current.CancellationToken);
        using var second = await gateway.GetAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), await second.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.NotNull(second.Headers.Age);
        Assert.NotEqual(first.Headers.GetValues("X-Request-Id").Single(), second.Headers.GetValues("X-Request-Id").Single());

        // A second later the gateway asks booking again, and a hold taken meanwhile shows.
        await buyer.HoldAsync(sale, quantity: 2);
        await Task.Delay(TimeSpan.FromSeconds(3.5), TestContext.Current.CancellationToken);
        using var later = await gateway.GetAsync(path, TestContext.Current.CancellationToken);
        var tier = JsonDocument.Parse(await later.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("tiers")
            .EnumerateArray().Single(t => t.GetProperty("tierId").GetGuid() == sale.StandingTierId);
        Assert.Equal(3, tier.GetProperty("available").GetInt32());
        Assert.Null(later.Headers.Age);
    }

    [Fact]
    public async Task A_query_string_or_a_host_name_does_not_get_a_request_past_the_gateways_availability_cache()
    {
        var sale = await Sale.OpenAsync(boxoffice, standingPlaces: 5);
        using var gateway = boxoffice.CreateGatewayClient();
        var path = $"/api/booking/events/{sale.EventId}/availability";

        // Each query spelling (or Host) is new, so a cache keyed by it would never answer one.
        // Keyed by the path alone, the entry the plain request left answers it, as long as that
        // entry is younger than its second: on a busy machine a pair may straddle the expiry, so
        // each spelling gets a few tries.
        foreach (var query in new[] { "?bust={0}", "?a={0}&b=2", "?{0}", "?tierId={0}", "host:{0}.example" })
        {
            var fromCache = false;
            for (var attempt = 0; attempt < 5 && !fromCache; attempt++)
            {
                using var plain = await gateway.GetAsync(path, TestContext.Current.CancellationToken);
                var spelled = string.Format(CultureInfo.InvariantCulture, query, Guid.NewGuid().ToString("N"));
                using var request = new HttpRequestMessage(HttpMethod.Get, spelled.StartsWith("host:", StringComparison.Ordinal) ? path : path + spelled);
                if (spelled.StartsWith("host:", StringComparison.Ordinal))
                {
                    request.Headers.Host = spelled["host:".Length..];
                }

                using var busting = await gateway.SendAsync(request, TestContext.Current.CancellationToken);
                Assert.Equal(HttpStatusCode.OK, busting.StatusCode);
                fromCache = busting.Headers.Age is not null;
            }

            Assert.True(fromCache, $"{path}{query} went past the gateway's cache to booking every time");
        }
    }
}
