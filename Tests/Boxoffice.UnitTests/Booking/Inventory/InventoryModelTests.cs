using Boxoffice.Booking.Inventory;
using Boxoffice.Contracts.Catalog;

namespace Boxoffice.UnitTests.Booking.Inventory;

/// <summary>When a sale takes holds, how much one buyer may have of it, and how a place is named on a ticket and in an error.</summary>
public sealed class InventoryModelTests
{
    private static readonly DateTimeOffset Opens = new(2026, 12, 24, 18, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Closes = Opens.AddDays(1);

    [Fact]
    public void A_sale_on_sale_is_open_from_its_opening_up_to_but_not_at_its_close()
    {
        var sale = new EventSale(EventStatusNames.OnSale, "EUR", Opens, Closes, WaitingRoom: false);

        Assert.False(sale.IsOpenAt(Opens.AddTicks(-10)));
        Assert.True(sale.IsOpenAt(Opens));
        Assert.True(sale.IsOpenAt(Closes.AddTicks(-10)));
        Assert.False(sale.IsOpenAt(Closes));
    }

    [Theory]
    [InlineData(EventStatusNames.Draft)]
    [InlineData(EventStatusNames.Published)]
    [InlineData(EventStatusNames.Closed)]
    [InlineData(EventStatusNames.Cancelled)]
    public void A_sale_not_on_sale_is_closed_even_inside_its_window(string status)
    {
        Assert.False(new EventSale(status, "EUR", Opens, Closes, WaitingRoom: false).IsOpenAt(Opens.AddHours(1)));
    }

    [Theory]
    [InlineData(null, 6, 6)]
    [InlineData(2, 6, 2)]
    [InlineData(6, 6, 6)]
    [InlineData(10, 6, 6)]
    [InlineData(4, 4, 4)]
    [InlineData(1, 100, 1)]
    public void A_buyer_may_have_the_events_ticket_limit_never_more_than_bookings_cap(int? ticketLimit, int ceiling, int expected)
    {
        var sale = new EventSale(EventStatusNames.OnSale, "EUR", Opens, Closes, WaitingRoom: false, TicketLimit: ticketLimit);

        Assert.Equal(expected, TicketLimits.Effective(ticketLimit, ceiling));
        Assert.Equal(expected, sale.BuyerLimit(ceiling));
    }

    [Fact]
    public void A_seat_is_named_by_section_row_and_number()
    {
        Assert.Equal("Stalls C-12", new Place("Stalls", "C", 12).Label);
    }

    [Fact]
    public void A_general_admission_place_is_named_by_its_area_and_number()
    {
        Assert.Equal("Floor place 7", new Place("Floor", null, 7).Label);
    }
}
