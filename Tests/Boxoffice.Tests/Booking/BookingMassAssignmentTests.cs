using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Boxoffice.Tests.Booking;

/// <summary>
/// OWASP API3 (object property level authorization) for booking's bodies: a hold, an order or a
/// check-in that also names its owner, id, status, times or prices gets the server's own. Each
/// body is a valid request plus fields a client may not set, and each test fails if one of them
/// were obeyed.
/// </summary>
[Collection<RunningApp>]
public sealed class BookingMassAssignmentTests(BoxofficeApp boxoffice)
{
    private static readonly DateTimeOffset FarFuture = new(2099, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset LongAgo = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // The services read this machine's clock; this covers the trip through the gateway.
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task A_hold_belongs_to_its_caller_whatever_owner_or_id_the_body_names()
    {
        var sale = await SaleAsync();
        using var attacker = await Buyer.NewAsync(boxoffice);
        using var victim = await Buyer.NewAsync(boxoffice);
        var forgedId = Guid.NewGuid();
        var body = new JsonObject
        {
            ["tierId"] = sale.StandingTierId,
            ["quantity"] = 2,
            ["buyerId"] = victim.Id,
            ["ownerId"] = victim.Id,
            ["sub"] = victim.Id,
            ["id"] = forgedId,
            ["holdId"] = forgedId,
            ["eventId"] = Guid.NewGuid(),
        };

        var hold = await attacker.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/events/{sale.EventId}/holds", body.ToJsonString());

        var holdId = hold.GetProperty("holdId").GetGuid();
        Assert.NotEqual(forgedId, holdId);
        Assert.Equal(sale.EventId, hold.GetProperty("eventId").GetGuid());
        var read = await attacker.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/holds/{holdId}");
        Assert.Equal(sale.EventId, read.GetProperty("eventId").GetGuid());
        await attacker.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/holds/{forgedId}");
        await victim.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/holds/{holdId}");
        await victim.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Delete, $"/holds/{holdId}");

        // The places count against the caller's cap, not the named buyer's.
        await victim.HoldAsync(sale, quantity: BoxofficeApp.MaxUnitsPerBuyer);
        var over = await attacker.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Post, $"/events/{sale.EventId}/holds",
            new { tierId = sale.StandingTierId, quantity = BoxofficeApp.MaxUnitsPerBuyer - 1 });
        Assert.Equal("https://boxoffice.dev/problems/buyer-limit", over.GetProperty("type").GetString());
        Assert.Equal(2, over.GetProperty("held").GetInt32());
    }

    [Fact]
    public async Task A_hold_keeps_the_servers_status_expiry_and_prices_whatever_the_body_says()
    {
        var sale = await SaleAsync();
        using var buyer = await Buyer.NewAsync(boxoffice);
        var body = new JsonObject
        {
            ["tierId"] = sale.StandingTierId,
            ["quantity"] = 2,
            ["status"] = "confirmed",
            ["expiresAt"] = FarFuture,
            ["heldUntil"] = FarFuture,
            ["amount"] = 0m,
            ["total"] = 0m,
            ["price"] = 0m,
            ["currency"] = "XXX",
            ["units"] = 100,
            ["paid"] = true,
        };

        var before = DateTimeOffset.UtcNow;
        var hold = await buyer.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/events/{sale.EventId}/holds", body.ToJsonString());
        var after = DateTimeOffset.UtcNow;

        Assert.Equal("active", hold.GetProperty("status").GetString());
        Assert.InRange(hold.GetProperty("expiresAt").GetDateTimeOffset(), before + BoxofficeApp.HoldDuration - Slack, after + BoxofficeApp.HoldDuration + Slack);
        Assert.Equal(60m, hold.GetProperty("amount").GetDecimal());
        Assert.Equal("EUR", hold.GetProperty("currency").GetString());
        Assert.Equal(2, hold.GetProperty("units").GetArrayLength());
        Assert.All(hold.GetProperty("units").EnumerateArray(), unit =>
        {
            Assert.Equal(30m, unit.GetProperty("price").GetDecimal());
            Assert.Equal(sale.StandingTierId, unit.GetProperty("tierId").GetGuid());
        });

        var holdId = hold.GetProperty("holdId").GetGuid();
        var read = await buyer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/holds/{holdId}");
        Assert.Equal("active", read.GetProperty("status").GetString());
        Assert.Equal(hold.GetProperty("expiresAt").GetDateTimeOffset(), read.GetProperty("expiresAt").GetDateTimeOffset());
        Assert.Equal(60m, read.GetProperty("amount").GetDecimal());
        Assert.Equal("EUR", read.GetProperty("currency").GetString());
        Assert.Equal(2, read.GetProperty("units").GetArrayLength());

        // Really active, not confirmed: it can still become an order.
        var order = await buyer.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/orders", new { holdId });
        Assert.Equal(60m, order.GetProperty("amount").GetDecimal());
    }

    [Fact]
    public async Task Named_seats_are_held_at_their_tiers_price_whatever_price_tier_or_extra_units_the_body_adds()
    {
        var sale = await SaleAsync();
        using var buyer = await Buyer.NewAsync(boxoffice);
        var body = new JsonObject
        {
            ["seats"] = new JsonArray(
                new JsonObject { ["section"] = "Stalls", ["row"] = "B", ["seat"] = 9, ["price"] = 0m, ["tierId"] = sale.StandingTierId, ["label"] = "VIP 1" },
                new JsonObject { ["section"] = "Stalls", ["row"] = "B", ["seat"] = 10, ["price"] = 0m, ["tierId"] = sale.StandingTierId, ["label"] = "VIP 2" }),
            // The answer's own shape sent back: a place that was not asked for, at no price.
            ["units"] = new JsonArray(new JsonObject { ["section"] = "Floor", ["seat"] = 1, ["tierId"] = sale.StandingTierId, ["price"] = 0m }),
            ["amount"] = 0m,
        };

        var hold = await buyer.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/events/{sale.EventId}/holds", body.ToJsonString());
        var read = await buyer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/holds/{hold.GetProperty("holdId").GetGuid()}");

        foreach (var answer in new[] { hold, read })
        {
            Assert.Equal(91m, answer.GetProperty("amount").GetDecimal());
            var units = answer.GetProperty("units").EnumerateArray().OrderBy(unit => unit.GetProperty("seat").GetInt32()).ToList();
            Assert.Equal(new[] { 9, 10 }, units.Select(unit => unit.GetProperty("seat").GetInt32()));
            Assert.All(units, unit =>
            {
                Assert.Equal("Stalls", unit.GetProperty("section").GetString());
                Assert.Equal("B", unit.GetProperty("row").GetString());
                Assert.Equal(45.50m, unit.GetProperty("price").GetDecimal());
                Assert.Equal(sale.SeatedTierId, unit.GetProperty("tierId").GetGuid());
            });
        }
    }

    [Fact]
    public async Task An_order_is_pending_for_the_holds_amount_and_deadline_whatever_status_price_or_owner_the_body_says()
    {
        var sale = await SaleAsync();
        using var buyer = await Buyer.NewAsync(boxoffice);
        using var victim = await Buyer.NewAsync(boxoffice);
        var hold = await buyer.HoldAsync(sale, quantity: 2);
        var holdId = hold.GetProperty("holdId").GetGuid();
        var forgedId = Guid.NewGuid();
        var body = new JsonObject
        {
            ["holdId"] = holdId,
            ["id"] = forgedId,
            ["orderId"] = forgedId,
            ["buyerId"] = victim.Id,
            ["eventId"] = Guid.NewGuid(),
            ["status"] = "confirmed",
            ["paid"] = true,
            ["amount"] = 0m,
            ["total"] = 0m,
            ["currency"] = "XXX",
            ["units"] = BoxofficeApp.MaxUnitsPerBuyer,
            ["payBy"] = FarFuture,
            ["createdAt"] = LongAgo,
            ["cancelReason"] = "none",
            ["chargeId"] = "ch_forged",
        };

        var before = DateTimeOffset.UtcNow;
        var order = await buyer.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/orders", body.ToJsonString());
        var after = DateTimeOffset.UtcNow;

        var orderId = order.GetProperty("orderId").GetGuid();
        Assert.NotEqual(forgedId, orderId);
        Assert.Equal(sale.EventId, order.GetProperty("eventId").GetGuid());
        Assert.Equal(holdId, order.GetProperty("holdId").GetGuid());
        Assert.Equal("pending-payment", order.GetProperty("status").GetString());
        Assert.Equal(60m, order.GetProperty("amount").GetDecimal());
        Assert.Equal("EUR", order.GetProperty("currency").GetString());
        Assert.Equal(2, order.GetProperty("units").GetInt32());
        Assert.Equal(hold.GetProperty("expiresAt").GetDateTimeOffset(), order.GetProperty("payBy").GetDateTimeOffset());
        Assert.InRange(order.GetProperty("createdAt").GetDateTimeOffset(), before - Slack, after + Slack);
        Assert.Equal(JsonValueKind.Null, order.GetProperty("cancelReason").ValueKind);

        // No ticket before the payment: tickets read while the order is still pending are none.
        var early = await buyer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/orders/{orderId}/tickets");
        var meanwhile = await buyer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/orders/{orderId}");
        if (meanwhile.GetProperty("status").GetString() == "pending-payment")
        {
            Assert.Equal(0, early.GetArrayLength());
        }

        await buyer.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/orders/{forgedId}");
        await victim.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/orders/{orderId}");
        Assert.Equal(0, (await victim.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/orders")).GetArrayLength());
        var mine = await buyer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/orders");
        Assert.Equal(orderId, Assert.Single(mine.EnumerateArray()).GetProperty("orderId").GetGuid());

        // Payments charged what the order is for, and the payment alone confirmed it.
        var settled = await buyer.SettledOrderAsync(orderId);
        Assert.Equal("confirmed", settled.GetProperty("status").GetString());
        Assert.Equal(60m, settled.GetProperty("amount").GetDecimal());
        Assert.Equal(order.GetProperty("payBy").GetDateTimeOffset(), settled.GetProperty("payBy").GetDateTimeOffset());
        using var provider = await Payments.Provider.ConnectAsync(boxoffice);
        var charge = (await provider.ChargeAsync(orderId))!.Value;
        Assert.Equal(60m, charge.GetProperty("amount").GetDecimal());
        Assert.Equal("EUR", charge.GetProperty("currency").GetString());
        Assert.Equal(2, (await buyer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/orders/{orderId}/tickets")).GetArrayLength());
    }

    [Fact]
    public async Task A_check_in_admits_the_ticket_its_code_names_at_the_servers_time_whatever_else_the_body_says()
    {
        var sale = await SaleAsync();
        using var buyer = await Buyer.NewAsync(boxoffice);
        var orderId = await buyer.OrderAsync((await buyer.HoldAsync(sale, quantity: 2)).GetProperty("holdId").GetGuid());
        Assert.Equal("confirmed", (await buyer.SettledOrderAsync(orderId)).GetProperty("status").GetString());
        var tickets = await buyer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/orders/{orderId}/tickets");
        var (scanned, other) = (tickets[0], tickets[1]);
        using var staff = await Buyer.StaffAsync(boxoffice, sale);
        var body = new JsonObject
        {
            ["code"] = scanned.GetProperty("code").GetString(),
            ["ticketId"] = other.GetProperty("ticketId").GetGuid(),
            ["orderId"] = Guid.NewGuid(),
            ["eventId"] = Guid.NewGuid(),
            ["seat"] = "VIP 1",
            ["status"] = "void",
            ["checkedInAt"] = LongAgo,
            ["checkedInBy"] = "staff-someone-else",
        };

        var before = DateTimeOffset.UtcNow;
        var admitted = await staff.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, "/tickets/check-in", body.ToJsonString());
        var after = DateTimeOffset.UtcNow;

        Assert.Equal(scanned.GetProperty("ticketId").GetGuid(), admitted.GetProperty("ticketId").GetGuid());
        Assert.Equal(sale.EventId, admitted.GetProperty("eventId").GetGuid());
        Assert.Equal(scanned.GetProperty("seat").GetString(), admitted.GetProperty("seat").GetString());
        Assert.Equal("checked-in", admitted.GetProperty("status").GetString());
        var checkedInAt = admitted.GetProperty("checkedInAt").GetDateTimeOffset();
        Assert.InRange(checkedInAt, before - Slack, after + Slack);

        // The buyer sees the scanned ticket in at that time, and the other one not in at all.
        var read = (await buyer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/orders/{orderId}/tickets")).EnumerateArray()
            .ToDictionary(ticket => ticket.GetProperty("ticketId").GetGuid());
        Assert.Equal(checkedInAt, read[scanned.GetProperty("ticketId").GetGuid()].GetProperty("checkedInAt").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, read[other.GetProperty("ticketId").GetGuid()].GetProperty("checkedInAt").ValueKind);
        await staff.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, "/tickets/check-in", new { code = other.GetProperty("code").GetString() });
    }

    private static readonly SemaphoreSlim SaleGate = new(1, 1);
    private static Sale? _sale;

    /// <summary>One sale for these tests (each uses its own buyers): opening one per test would cost seconds each.</summary>
    private async Task<Sale> SaleAsync()
    {
        await SaleGate.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            return _sale ??= await Sale.OpenAsync(boxoffice);
        }
        finally
        {
            SaleGate.Release();
        }
    }
}
