using System.Net;
using System.Text.Json;

namespace Boxoffice.Tests.Booking;

/// <summary>
/// An organizer's ticket limit caps what one buyer may hold or own of an event, through the
/// gateway: below booking's own cap (<see cref="BoxofficeApp.MaxUnitsPerBuyer"/>, 4 in the tests)
/// with the same problem that cap answers, and a changed limit holds once booking has it.
/// </summary>
[Collection<RunningApp>]
public sealed class TicketLimitTests(BoxofficeApp boxoffice)
{
    [Fact]
    public async Task A_ticket_limit_of_2_refuses_a_third_place_as_bookings_own_cap_does_and_a_limit_raised_to_4_is_honoured_once_booking_has_it()
    {
        using var organizer = await Catalog.Organizer.NewAsync(boxoffice);
        var (limited, unlimited) = (Sale.OpenAsync(boxoffice, by: organizer, ticketLimit: 2), Sale.OpenAsync(boxoffice));
        var sale = await limited;
        using var buyer = await Buyer.NewAsync(boxoffice);
        using var other = await Buyer.NewAsync(boxoffice);
        Assert.Equal(2, (await AvailabilityAsync(sale)).GetProperty("ticketLimit").GetInt32());

        // Ordered, the two places count until the order ends; a hold alone runs out in the tests' 20 s.
        await buyer.OrderAsync((await buyer.HoldAsync(sale, quantity: 2)).GetProperty("holdId").GetGuid());
        var third = await RefusedHoldAsync(buyer, sale, quantity: 1);
        var threeAtOnce = await RefusedHoldAsync(other, sale, quantity: 3);
        await other.HoldAsync(sale, quantity: 1);
        await other.HoldAsync(sale, quantity: 1);

        AssertBuyerLimit(third, limit: 2, held: 2);
        AssertBuyerLimit(threeAtOnce, limit: 2, held: 0);
        // Booking's own cap, on an event without a limit, answers with the same problem.
        var uncapped = await unlimited;
        await buyer.HoldAsync(uncapped, quantity: BoxofficeApp.MaxUnitsPerBuyer);
        var overTheCap = await RefusedHoldAsync(buyer, uncapped, quantity: 1);
        AssertBuyerLimit(overTheCap, limit: BoxofficeApp.MaxUnitsPerBuyer, held: BoxofficeApp.MaxUnitsPerBuyer);
        Assert.Equal(Shape(overTheCap), Shape(third));

        await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Put, $"/organizer/events/{sale.EventId}/ticket-limit", new { ticketLimit = 4 });
        await UntilBookingHasAsync(sale, ticketLimit: 4);

        await buyer.HoldAsync(sale, quantity: 2);
        var fifth = await RefusedHoldAsync(buyer, sale, quantity: 1);
        AssertBuyerLimit(fifth, limit: 4, held: 4);
    }

    private static Task<JsonElement> RefusedHoldAsync(Buyer buyer, Sale sale, int quantity) =>
        buyer.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Post, $"/events/{sale.EventId}/holds", new { tierId = sale.StandingTierId, quantity });

    private static void AssertBuyerLimit(JsonElement problem, int limit, int held)
    {
        Assert.Equal("https://boxoffice.dev/problems/buyer-limit", problem.GetProperty("type").GetString());
        Assert.Equal(409, problem.GetProperty("status").GetInt32());
        Assert.Equal(limit, problem.GetProperty("limit").GetInt32());
        Assert.Equal(held, problem.GetProperty("held").GetInt32());
        Assert.StartsWith($"At most {limit} per buyer for this event", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    /// <summary>What two refusals of one kind share: type, title, status, and the names of every member.</summary>
    private static string Shape(JsonElement problem) =>
        string.Join("|", problem.GetProperty("type").GetString(), problem.GetProperty("title").GetString(), problem.GetProperty("status").GetInt32(),
            string.Join(",", problem.EnumerateObject().Select(property => property.Name).Order(StringComparer.Ordinal)));

    private async Task<JsonElement> AvailabilityAsync(Sale sale)
    {
        using var anonymous = boxoffice.CreateGatewayClient();
        return JsonDocument.Parse(await anonymous.GetStringAsync($"/api/booking/events/{sale.EventId}/availability", TestContext.Current.CancellationToken)).RootElement.Clone();
    }

    /// <summary>
    /// Booking learns of the change through Kafka, as of the sale itself (<see cref="Sale.OpenAsync"/>):
    /// wait until its public answer, at most 3 s old through the gateway, shows the limit.
    /// </summary>
    private async Task UntilBookingHasAsync(Sale sale, int ticketLimit)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await AvailabilityAsync(sale)).GetProperty("ticketLimit").GetInt32() != ticketLimit)
        {
            Assert.True(DateTime.UtcNow < deadline, $"Booking did not apply the ticket limit {ticketLimit} of event {sale.EventId} within 60 s.");
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
    }
}
