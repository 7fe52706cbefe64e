using System.Net;
using Npgsql;

namespace Boxoffice.Tests.Booking;

/// <summary>
/// Hostile and malformed requests to every booking endpoint through the gateway: a 4xx
/// problem+json that says what is wrong, never a 500, and nothing written.
/// </summary>
[Collection<RunningApp>]
public sealed class BookingBadInputTests(BoxofficeApp boxoffice)
{
    public static TheoryData<string, string> BadHolds => new()
    {
        { "not json", "{\"quantity\": " },
        { "both ways", "{\"tierId\": \"TIER\", \"quantity\": 1, \"seats\": [{\"section\": \"Stalls\", \"row\": \"A\", \"seat\": 1}]}" },
        { "neither way", "{}" },
        { "zero", "{\"tierId\": \"TIER\", \"quantity\": 0}" },
        { "negative", "{\"tierId\": \"TIER\", \"quantity\": -1}" },
        { "over the cap", "{\"tierId\": \"TIER\", \"quantity\": 5}" },
        { "huge", "{\"tierId\": \"TIER\", \"quantity\": 2147483648}" },
        { "quantity as text", "{\"tierId\": \"TIER\", \"quantity\": \"two\"}" },
        { "tier not a uuid", "{\"tierId\": \"1 OR 1=1\", \"quantity\": 1}" },
        { "quantity without tier", "{\"quantity\": 1}" },
        { "no seats", "{\"seats\": []}" },
        { "seat twice", "{\"seats\": [{\"section\": \"Stalls\", \"row\": \"A\", \"seat\": 1}, {\"section\": \"Stalls\", \"row\": \"A\", \"seat\": 1}]}" },
        { "seat without section", "{\"seats\": [{\"row\": \"A\", \"seat\": 1}]}" },
        { "seat zero", "{\"seats\": [{\"section\": \"Stalls\", \"row\": \"A\", \"seat\": 0}]}" },
        { "null seat", "{\"seats\": [null]}" },
        { "NUL in section", "{\"seats\": [{\"section\": \"Sta\\u0000lls\", \"row\": \"A\", \"seat\": 1}]}" },
        { "section too long", "{\"seats\": [{\"section\": \"" + new string('x', 201) + "\", \"row\": \"A\", \"seat\": 1}]}" },
    };

    [Theory]
    [MemberData(nameof(BadHolds))]
    public async Task A_malformed_hold_request_is_a_400_and_holds_nothing(string why, string body)
    {
        var sale = await SaleAsync();
        using var buyer = await Buyer.NewAsync(boxoffice);
        var problem = await buyer.ExpectAsync(HttpStatusCode.BadRequest, HttpMethod.Post, $"/events/{sale.EventId}/holds", body.Replace("TIER", sale.StandingTierId.ToString(), StringComparison.Ordinal));
        Assert.True(problem.TryGetProperty("title", out _), why);
        await AssertNothingHeldAsync(buyer);
    }

    [Fact]
    public async Task Holds_name_what_does_not_exist_and_refuse_what_is_not_for_sale()
    {
        var sale = await SaleAsync();
        using var buyer = await Buyer.NewAsync(boxoffice);
        var unknownTier = await buyer.ExpectAsync(HttpStatusCode.UnprocessableEntity, HttpMethod.Post, $"/events/{sale.EventId}/holds", new { tierId = Guid.NewGuid(), quantity = 1 });
        Assert.Equal("https://boxoffice.dev/problems/unknown-tier", unknownTier.GetProperty("type").GetString());
        var unknownSeat = await buyer.ExpectAsync(HttpStatusCode.UnprocessableEntity, HttpMethod.Post, $"/events/{sale.EventId}/holds",
            new { seats = new[] { new { section = "Stalls", row = "Z", seat = 99 } } });
        Assert.Contains("Stalls Z-99", unknownSeat.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await buyer.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"/events/{Guid.NewGuid()}/holds", new { tierId = sale.StandingTierId, quantity = 1 });
        await buyer.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, "/events/not-an-id/holds", new { tierId = sale.StandingTierId, quantity = 1 });
        using var text = await buyer.SendAsync(HttpMethod.Post, $"/events/{sale.EventId}/holds", new StringContent("quantity=1"), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);

        // Published but not on sale: booking knows the event and refuses.
        using var organizer = await Catalog.Organizer.NewAsync(boxoffice);
        var notOnSale = await organizer.EventAsync(null, "publish");
        await WaitUntilKnownAsync(notOnSale);
        var refused = await buyer.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Post, $"/events/{notOnSale}/holds", new { seats = new[] { new { section = "Stalls", row = "A", seat = 1 } } });
        Assert.Equal("https://boxoffice.dev/problems/sale-not-open", refused.GetProperty("type").GetString());
        await AssertNothingHeldAsync(buyer);
    }

    [Theory]
    [InlineData("")]
    [InlineData("key with spaces")]
    public async Task An_unusable_idempotency_key_is_a_400(string key)
    {
        var sale = await SaleAsync();
        using var buyer = await Buyer.NewAsync(boxoffice);
        var problem = await buyer.ExpectAsync(HttpStatusCode.BadRequest, HttpMethod.Post, $"/events/{sale.EventId}/holds",
            new { tierId = sale.StandingTierId, quantity = 1 }, key.Length == 0 ? new string('k', 201) : key);
        Assert.True(problem.GetProperty("errors").TryGetProperty("Idempotency-Key", out _));
        await AssertNothingHeldAsync(buyer);
    }

    [Fact]
    public async Task Reusing_an_idempotency_key_for_another_request_is_a_422_and_changes_nothing()
    {
        var sale = await SaleAsync();
        using var buyer = await Buyer.NewAsync(boxoffice);
        var key = Guid.NewGuid().ToString();
        var hold = await buyer.HoldAsync(sale, quantity: 1, idempotencyKey: key);
        var reused = await buyer.ExpectAsync(HttpStatusCode.UnprocessableEntity, HttpMethod.Post, $"/events/{sale.EventId}/holds",
            new { tierId = sale.StandingTierId, quantity = 2 }, key);
        Assert.Equal("https://boxoffice.dev/problems/idempotency-key-reused", reused.GetProperty("type").GetString());
        Assert.Equal(1L, await HoldsOfAsync(buyer));
        Assert.Equal(1L, await HoldEventsOfAsync(buyer));

        // The same key for an order is another request too.
        var other = await buyer.HoldAsync(sale, quantity: 1);
        var orderKey = Guid.NewGuid().ToString();
        var placed = await buyer.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/orders", new { holdId = hold.GetProperty("holdId").GetGuid() }, orderKey);
        // Sent again, the same order (its answer was recorded with the order, in one round trip), and no second one.
        var replayed = await buyer.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/orders", new { holdId = hold.GetProperty("holdId").GetGuid() }, orderKey);
        Assert.Equal(placed.GetProperty("orderId").GetGuid(), replayed.GetProperty("orderId").GetGuid());
        Assert.Equal(placed.GetProperty("amount").GetDecimal(), replayed.GetProperty("amount").GetDecimal());
        Assert.Equal(placed.GetProperty("payBy").GetDateTimeOffset(), replayed.GetProperty("payBy").GetDateTimeOffset());
        await buyer.ExpectAsync(HttpStatusCode.UnprocessableEntity, HttpMethod.Post, "/orders", new { holdId = other.GetProperty("holdId").GetGuid() }, orderKey);

        // A hold's key for an order, and an order's key for a hold: other requests, refused.
        await buyer.ExpectAsync(HttpStatusCode.UnprocessableEntity, HttpMethod.Post, "/orders", new { holdId = other.GetProperty("holdId").GetGuid() }, key);
        var reusedForHold = await buyer.ExpectAsync(HttpStatusCode.UnprocessableEntity, HttpMethod.Post, $"/events/{sale.EventId}/holds",
            new { tierId = sale.StandingTierId, quantity = 1 }, orderKey);
        Assert.Equal("https://boxoffice.dev/problems/idempotency-key-reused", reusedForHold.GetProperty("type").GetString());
        Assert.Equal(2L, await HoldsOfAsync(buyer));

        // Keys belong to a buyer: another buyer's same key is a key of their own.
        using var stranger = await Buyer.NewAsync(boxoffice);
        await stranger.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/events/{sale.EventId}/holds", new { tierId = sale.StandingTierId, quantity = 2 }, key);
    }

    [Fact]
    public async Task An_oversized_hold_request_is_a_413_at_the_gateway()
    {
        var sale = await SaleAsync();
        using var buyer = await Buyer.NewAsync(boxoffice);
        var seats = string.Join(",", Enumerable.Range(1, 3000).Select(seat => $"{{\"section\": \"Stalls\", \"row\": \"A\", \"seat\": {seat}}}"));
        await buyer.ExpectAsync(HttpStatusCode.RequestEntityTooLarge, HttpMethod.Post, $"/events/{sale.EventId}/holds", $"{{\"seats\": [{seats}]}}");
        await AssertNothingHeldAsync(buyer);
    }

    [Fact]
    public async Task Orders_refuse_missing_unknown_and_used_holds()
    {
        var sale = await SaleAsync();
        using var buyer = await Buyer.NewAsync(boxoffice);
        await buyer.ExpectAsync(HttpStatusCode.BadRequest, HttpMethod.Post, "/orders", "{}");
        await buyer.ExpectAsync(HttpStatusCode.BadRequest, HttpMethod.Post, "/orders", "{\"holdId\": \"nope\"}");
        await buyer.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, "/orders", new { holdId = Guid.NewGuid() });
        var hold = await buyer.HoldAsync(sale);
        var holdId = hold.GetProperty("holdId").GetGuid();
        await buyer.OrderAsync(holdId);
        var twice = await buyer.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Post, "/orders", new { holdId });
        Assert.Equal("ordered", twice.GetProperty("holdStatus").GetString());
        await buyer.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Delete, $"/holds/{holdId}");
    }

    [Fact]
    public async Task A_buyer_never_sees_or_uses_another_buyers_holds_orders_or_tickets()
    {
        var sale = await SaleAsync();
        using var owner = await Buyer.NewAsync(boxoffice);
        using var other = await Buyer.NewAsync(boxoffice);
        var hold = await owner.HoldAsync(sale);
        var holdId = hold.GetProperty("holdId").GetGuid();

        await other.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/holds/{holdId}");
        await other.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Delete, $"/holds/{holdId}");
        await other.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, "/orders", new { holdId });
        var orderId = await owner.OrderAsync(holdId);
        Assert.Equal("confirmed", (await owner.SettledOrderAsync(orderId)).GetProperty("status").GetString());

        await other.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/orders/{orderId}");
        await other.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/orders/{orderId}/tickets");
        Assert.Equal(0, (await other.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/orders")).GetArrayLength());
        Assert.Equal(0, (await other.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/tickets")).GetArrayLength());
        Assert.Equal(1, (await owner.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/tickets")).GetArrayLength());

        // Another buyer's order or ticket is no place to resume a list from.
        var ticketId = (await owner.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/tickets"))[0].GetProperty("ticketId").GetGuid();
        await other.ExpectAsync(HttpStatusCode.BadRequest, HttpMethod.Get, $"/orders?after={orderId}");
        await other.ExpectAsync(HttpStatusCode.BadRequest, HttpMethod.Get, $"/tickets?after={ticketId}");
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=101")]
    [InlineData("limit=-1")]
    [InlineData("limit=1.5")]
    [InlineData("limit=ten")]
    [InlineData("limit=")]
    [InlineData("limit=99999999999999999999")]
    [InlineData("limit=5&limit=6")]
    [InlineData("after=1")]
    [InlineData("after=%27%3B%20DROP%20TABLE%20orders%3B%20--")]
    [InlineData("after=00000000-0000-0000-0000-000000000000")]
    public async Task A_malformed_page_of_orders_or_tickets_is_a_400_naming_the_parameter(string query)
    {
        using var buyer = await Buyer.NewAsync(boxoffice);
        var parameter = query[..query.IndexOf('=', StringComparison.Ordinal)];

        foreach (var list in new[] { "/orders", "/tickets" })
        {
            var problem = await buyer.ExpectAsync(HttpStatusCode.BadRequest, HttpMethod.Get, $"{list}?{query}");
            Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out _), $"{list}?{query}: {problem}");
        }
    }

    public static TheoryData<string> ForgedCodes => new()
    {
        "not-a-code",
        "a.b.c",
        "eyJ0aWQiOiIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDAifQ.AAAA",
        "!!!.???",
    };

    [Theory]
    [MemberData(nameof(ForgedCodes))]
    public async Task A_forged_or_garbled_ticket_code_is_refused_at_the_door(string code)
    {
        using var staff = await Buyer.StaffAsync(boxoffice);
        var problem = await staff.ExpectAsync(HttpStatusCode.UnprocessableEntity, HttpMethod.Post, "/tickets/check-in", new { code });
        Assert.Equal("https://boxoffice.dev/problems/invalid-ticket-code", problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Check_in_takes_a_well_formed_code_from_staff_only()
    {
        using var staff = await Buyer.StaffAsync(boxoffice);
        await staff.ExpectAsync(HttpStatusCode.BadRequest, HttpMethod.Post, "/tickets/check-in", "{}");
        await staff.ExpectAsync(HttpStatusCode.BadRequest, HttpMethod.Post, "/tickets/check-in", new { code = new string('a', 2000) });
        using var buyer = await Buyer.NewAsync(boxoffice);
        await buyer.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Post, "/tickets/check-in", new { code = "x.y" });
        await staff.ExpectAsync(HttpStatusCode.Forbidden, HttpMethod.Get, "/orders");
        using var anonymous = boxoffice.CreateGatewayClient();
        using var response = await anonymous.PostAsync("/api/booking/tickets/check-in", new StringContent("{\"code\":\"x.y\"}", System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Availability_is_public_and_unknown_or_malformed_events_are_404()
    {
        var sale = await SaleAsync();
        using var anonymous = boxoffice.CreateGatewayClient();
        using var known = await anonymous.GetAsync($"/api/booking/events/{sale.EventId}/availability", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, known.StatusCode);
        foreach (var id in new[] { Guid.NewGuid().ToString(), "not-an-id", "1%27%20OR%201%3D1" })
        {
            using var response = await anonymous.GetAsync($"/api/booking/events/{id}/availability", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    private static readonly SemaphoreSlim SaleGate = new(1, 1);
    private static Sale? _sale;

    /// <summary>One sale for these tests (each uses its own buyers): opening one per test would cost seconds each.</summary>
    private async Task<Sale> SaleAsync()
    {
        await SaleGate.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            return _sale ??= await Sale.OpenAsync(boxoffice, standingPlaces: 500);
        }
        finally
        {
            SaleGate.Release();
        }
    }

    private async Task WaitUntilKnownAsync(Guid eventId)
    {
        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("bookingdb"));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await BookingInvariantTests.ScalarAsync(db, "SELECT count(*) FROM events WHERE event_id = $1", eventId) is 0L)
        {
            Assert.True(DateTime.UtcNow < deadline, $"Booking never learned of event {eventId}.");
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>No hold of the buyer's, and no HoldCreated event naming them: a refused hold wrote nothing.</summary>
    private async Task AssertNothingHeldAsync(Buyer buyer)
    {
        Assert.Equal(0L, await HoldsOfAsync(buyer));
        Assert.Equal(0L, await HoldEventsOfAsync(buyer));
    }

    /// <summary>HoldCreated events naming the buyer in booking's outbox.</summary>
    private async Task<long> HoldEventsOfAsync(Buyer buyer)
    {
        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("bookingdb"));
        return (long)(await BookingInvariantTests.ScalarAsync(db,
            "SELECT count(*) FROM outbox WHERE type = 'boxoffice.booking.hold-created' AND strpos(convert_from(payload, 'UTF8'), $1) > 0", buyer.Id))!;
    }

    private async Task<long> HoldsOfAsync(Buyer buyer)
    {
        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("bookingdb"));
        return (long)(await BookingInvariantTests.ScalarAsync(db, "SELECT count(*) FROM holds WHERE buyer_id = $1", buyer.Id))!;
    }
}
