using Boxoffice.Booking.Inventory;

namespace Boxoffice.UnitTests.Booking.Inventory;

/// <summary>How a place is named on a ticket and in an error. When a sale takes holds and how much one buyer may have of it are take_hold's rules, tested against PostgreSQL (TakeHoldTests).</summary>
public sealed class InventoryModelTests
{
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
