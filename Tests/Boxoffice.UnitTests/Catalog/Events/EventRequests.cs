using Boxoffice.Catalog.Events;
using Boxoffice.Catalog.Venues;
using Boxoffice.Contracts.Catalog;

namespace Boxoffice.UnitTests.Catalog.Events;

/// <summary>A valid event as an organizer sends it, at a venue with one standing area, for the rules' tests to vary.</summary>
internal static class EventRequests
{
    public static readonly DateTimeOffset SaleOpensAt = new(2027, 3, 1, 10, 0, 0, TimeSpan.Zero);

    /// <summary>Fado night at <see cref="Venue"/>: its sale opens at <see cref="SaleOpensAt"/>, the event a month later.</summary>
    public static EventRequest Event(WaitingRoomRequest? room = null, int? ticketLimit = null) => new(
        Guid.NewGuid(), "Fado night", null, SaleOpensAt.AddDays(30), SaleOpensAt, SaleOpensAt.AddDays(29), "EUR",
        [new TierRequest("Standing", 30m, ["Floor"])], room, ticketLimit);

    /// <summary>Coliseu, Porto: one general-admission area, Floor, of 100 places.</summary>
    public static VenueDetail Venue() => new(
        Guid.NewGuid(), "Coliseu", "Porto", "", 100, [new SectionView("Floor", SectionKind.GeneralAdmission, 100, [])]);
}
