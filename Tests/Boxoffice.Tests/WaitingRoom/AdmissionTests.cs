using System.Net;
using System.Text.Json;
using Boxoffice.Contracts.WaitingRoom;
using Boxoffice.Tests.Booking;
using Npgsql;

namespace Boxoffice.Tests.WaitingRoom;

/// <summary>
/// One place per account, and no way round the queue: an event with a waiting room sells only to
/// buyers who bring their own, unexpired admission to it; every other hold or order is refused
/// (403 admission-required, saying why) and changes nothing.
/// </summary>
[Collection<RunningApp>]
public sealed class AdmissionTests(BoxofficeApp boxoffice)
{
    [Fact]
    public async Task Joining_again_returns_the_same_place()
    {
        var sale = await QueuedSale.OpenAsync(boxoffice, new { }, places: 10);
        using var buyer = await QueueBuyer.NewAsync(boxoffice);
        var tokens = await QueueTokens.ForAsync(boxoffice);

        var (first, place) = await buyer.JoinAsync(sale.EventId);
        var (again, samePlace) = await buyer.JoinAsync(sale.EventId);

        Assert.Equal(HttpStatusCode.Created, first);
        Assert.Equal(HttpStatusCode.OK, again);
        var ticket = tokens.ReadTicket(place.Ticket);
        var sameTicket = tokens.ReadTicket(samePlace.Ticket);
        Assert.NotNull(ticket);
        Assert.Equal(ticket, sameTicket);
        Assert.Equal((sale.EventId, buyer.Id), (ticket.EventId, ticket.BuyerId));
        Assert.Single(await QueueRecords.PlacesAsync(boxoffice, sale.EventId), record => record.BuyerId == buyer.Id);
    }

    [Fact]
    public async Task A_hold_needs_the_buyers_own_unexpired_admission_to_the_event_and_a_refused_one_takes_nothing()
    {
        var sale = await QueuedSale.OpenAsync(boxoffice, new { }, places: 10);
        using var buyer = await QueueBuyer.NewAsync(boxoffice);
        using var other = await QueueBuyer.NewAsync(boxoffice);
        var tokens = await QueueTokens.ForAsync(boxoffice);
        foreach (var queued in new[] { buyer, other })
        {
            await queued.JoinAsync(sale.EventId);
            await queued.AdmittedAsync(sale.EventId);
        }

        var admission = buyer.Admission!;
        var read = tokens.ReadAdmission(admission);
        Assert.NotNull(read);
        Assert.Equal((sale.EventId, buyer.Id), (read.EventId, read.BuyerId));
        Assert.True(read.ExpiresAt > DateTimeOffset.UtcNow.AddMinutes(10), $"An admission lasts 15 minutes by default; this one expires at {read.ExpiresAt}.");
        var refused = new (string? Admission, string Reason)[]
        {
            (null, "missing"),
            (QueueTokens.Altered(admission, payload => payload["x"] = read.ExpiresAtUnix + 3600), "invalid"),
            ("not-an-admission", "invalid"),
            (other.Admission!, "other-buyer"),
            (tokens.Sign(new Admission(Guid.NewGuid(), buyer.Id, DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds())), "other-event"),
            (tokens.Sign(new Admission(sale.EventId, buyer.Id, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds())), "expired"),
        };
        var free = await FreePlacesAsync(sale.EventId);

        foreach (var (token, reason) in refused)
        {
            using var response = await buyer.HoldAsync(sale, token);
            var problem = await ProblemAnswer.ExpectAsync(response, HttpStatusCode.Forbidden, "admission-required", $"A hold with a {reason} admission");
            Assert.Equal(reason, problem.GetProperty("reason").GetString());
            Assert.Equal($"/api/waiting-room/events/{sale.EventId}/join", problem.GetProperty("queue").GetString());
        }

        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM holds WHERE buyer_id = $1", buyer.Id));
        Assert.Equal(free, await FreePlacesAsync(sale.EventId));

        // The buyer's own admission: the hold, then the order with it; an order without one (or with a bad one) is refused.
        using var held = await buyer.HoldAsync(sale, admission);
        Assert.Equal(HttpStatusCode.Created, held.StatusCode);
        var holdId = JsonDocument.Parse(await held.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("holdId").GetGuid();
        foreach (var (token, reason) in refused)
        {
            using var response = await buyer.OrderAsync(holdId, token);
            var problem = await ProblemAnswer.ExpectAsync(response, HttpStatusCode.Forbidden, "admission-required", $"An order with a {reason} admission");
            Assert.Equal(reason, problem.GetProperty("reason").GetString());
        }

        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM orders WHERE buyer_id = $1", buyer.Id));
        using var ordered = await buyer.OrderAsync(holdId, admission);
        Assert.Equal(HttpStatusCode.Created, ordered.StatusCode);
        Assert.Equal(free - 1, await FreePlacesAsync(sale.EventId));
    }

    [Fact]
    public async Task An_event_without_a_waiting_room_sells_as_before_without_an_admission()
    {
        var sale = await Sale.OpenAsync(boxoffice, standingPlaces: 10);
        using var buyer = await Buyer.NewAsync(boxoffice);

        var hold = await buyer.HoldAsync(sale);
        await buyer.OrderAsync(hold.GetProperty("holdId").GetGuid());
    }

    [Fact]
    public async Task An_organizer_puts_an_on_sale_event_behind_a_waiting_room_and_takes_it_out_again()
    {
        using var organizer = await Catalog.Organizer.NewAsync(boxoffice);
        var sale = await Sale.OpenAsync(boxoffice, standingPlaces: 10, by: organizer);
        using var buyer = await QueueBuyer.NewAsync(boxoffice);
        var hold = new { tierId = sale.StandingTierId, quantity = 1 };

        var put = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Put, $"/organizer/events/{sale.EventId}/waiting-room", new { admitPerSecond = 20 });
        Assert.Equal(20, put.GetProperty("waitingRoom").GetProperty("admitPerSecond").GetInt32());
        await QueuedSale.ReadyAsync(boxoffice, sale.EventId);
        await UntilHoldAnswersAsync(sale.EventId, hold, HttpStatusCode.Forbidden);
        await buyer.JoinAsync(sale.EventId);
        await buyer.AdmittedAsync(sale.EventId);
        using (var admitted = await buyer.SendAsync(HttpMethod.Post, $"/api/booking/events/{sale.EventId}/holds", hold, admission: buyer.Admission))
        {
            Assert.Equal(HttpStatusCode.Created, admitted.StatusCode);
        }

        await organizer.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/organizer/events/{sale.EventId}/waiting-room");
        await UntilHoldAnswersAsync(sale.EventId, hold, HttpStatusCode.Created);
    }

    /// <summary>
    /// Until a hold without an admission is answered <paramref name="status"/>: the change reaches
    /// booking and the gateway through Kafka and the snapshot. Each probe is a buyer of its own: one
    /// buyer taking and releasing hold after hold would soon be held back as one who keeps giving
    /// holds up (booking's abandoned-holds cap).
    /// </summary>
    private async Task UntilHoldAnswersAsync(Guid eventId, object hold, HttpStatusCode status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var buyer = await QueueBuyer.NewAsync(boxoffice);
            using var response = await buyer.SendAsync(HttpMethod.Post, $"/api/booking/events/{eventId}/holds", hold);
            if (response.StatusCode == status)
            {
                return;
            }

            Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.Forbidden or HttpStatusCode.TooManyRequests,
                $"A hold without an admission: got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
            Assert.True(DateTime.UtcNow < deadline, $"A hold without an admission was still {(int)response.StatusCode}, not {(int)status}, 30 s after the change.");
            if (response.StatusCode == HttpStatusCode.Created)
            {
                var holdId = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("holdId").GetGuid();
                await buyer.Buyer.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/holds/{holdId}");
            }

            await Task.Delay(1000, TestContext.Current.CancellationToken);
        }
    }

    private async Task<long> FreePlacesAsync(Guid eventId) =>
        await CountAsync("SELECT count(*) FROM units WHERE event_id = $1 AND order_id IS NULL AND (held_until IS NULL OR held_until <= now())", eventId);

    private async Task<long> CountAsync(string sql, object parameter)
    {
        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("bookingdb"));
        return (long)(await BookingInvariantTests.ScalarAsync(db, sql, parameter))!;
    }
}
