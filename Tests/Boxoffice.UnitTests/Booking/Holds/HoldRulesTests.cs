using Boxoffice.Booking;
using Boxoffice.Booking.Holds;

namespace Boxoffice.UnitTests.Booking.Holds;

/// <summary>The cross-field rules of a hold request (<c>POST /events/{id}/holds</c>), with the default cap of 6 per buyer.</summary>
public sealed class HoldRulesTests
{
    private static readonly BookingOptions Options = new();
    private static readonly Guid Tier = Guid.Parse("0199a3c4-5b6d-7e8f-9012-3456789abcde");
    private static readonly SeatRequest A1 = new("Stalls", "A", 1);
    private static readonly SeatRequest A2 = new("Stalls", "A", 2);

    [Fact]
    public void A_tier_and_a_quantity_within_the_cap_pass()
    {
        Assert.Empty(HoldRules.Check(new HoldRequest(Tier, 1, null), Options));
        Assert.Empty(HoldRules.Check(new HoldRequest(Tier, Options.MaxUnitsPerBuyer, null), Options));
    }

    [Fact]
    public void Distinct_seats_within_the_cap_pass()
    {
        Assert.Empty(HoldRules.Check(new HoldRequest(null, null, [A1]), Options));
        Assert.Empty(HoldRules.Check(new HoldRequest(null, null, [A1, A2, new("Stalls", "B", 1), new("Circle", "A", 1), new("Standing", null, 1), new("Standing", null, 2)]), Options));
    }

    [Theory]
    [InlineData(true, true, true)]
    [InlineData(true, false, true)]
    [InlineData(false, true, true)]
    [InlineData(false, false, false)]
    public void Asking_both_for_seats_and_for_a_tier_or_for_neither_is_refused(bool tier, bool quantity, bool seats)
    {
        var errors = HoldRules.Check(new HoldRequest(tier ? Tier : null, quantity ? 2 : null, seats ? [A1] : null), Options);

        Errors.AssertEqual(errors, ("seats", "Ask either for seats, or for a tierId and a quantity."));
    }

    [Fact]
    public void A_quantity_without_a_tier_is_refused()
    {
        Errors.AssertEqual(HoldRules.Check(new HoldRequest(null, 2, null), Options), ("tierId", "The tierId field is required with a quantity."));
    }

    [Fact]
    public void A_tier_without_a_quantity_is_refused()
    {
        Errors.AssertEqual(HoldRules.Check(new HoldRequest(Tier, null, null), Options), ("quantity", "The quantity field is required with a tierId."));
    }

    [Fact]
    public void A_quantity_over_the_cap_is_refused_with_the_cap()
    {
        Errors.AssertEqual(HoldRules.Check(new HoldRequest(Tier, 7, null), Options), ("quantity", "At most 6 per buyer and event."));
        Errors.AssertEqual(HoldRules.Check(new HoldRequest(Tier, 3, null), new BookingOptions { MaxUnitsPerBuyer = 2 }), ("quantity", "At most 2 per buyer and event."));
    }

    [Fact]
    public void A_quantity_over_the_cap_without_a_tier_names_both_fields()
    {
        Errors.AssertEqual(HoldRules.Check(new HoldRequest(null, 7, null), Options),
            ("tierId", "The tierId field is required with a quantity."),
            ("quantity", "At most 6 per buyer and event."));
    }

    [Fact]
    public void An_empty_seat_list_is_refused()
    {
        Errors.AssertEqual(HoldRules.Check(new HoldRequest(null, null, []), Options), ("seats", "Ask for at least one seat."));
    }

    [Fact]
    public void More_seats_than_the_cap_are_refused()
    {
        var seven = Enumerable.Range(1, 7).Select(seat => new SeatRequest("Stalls", "A", seat)).ToList();

        Errors.AssertEqual(HoldRules.Check(new HoldRequest(null, null, seven), Options), ("seats", "At most 6 per buyer and event."));
    }

    [Fact]
    public void A_null_seat_is_refused()
    {
        Errors.AssertEqual(HoldRules.Check(new HoldRequest(null, null, [A1, null!]), Options), ("seats", "A seat may not be null."));
    }

    [Fact]
    public void A_seat_listed_twice_is_refused()
    {
        Errors.AssertEqual(HoldRules.Check(new HoldRequest(null, null, [A1, A2, new("Stalls", "A", 1)]), Options), ("seats", "A seat is listed twice."));
        Errors.AssertEqual(HoldRules.Check(new HoldRequest(null, null, [new("Standing", null, 3), new("Standing", null, 3)]), Options), ("seats", "A seat is listed twice."));
    }
}
