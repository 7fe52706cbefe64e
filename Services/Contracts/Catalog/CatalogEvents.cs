namespace Boxoffice.Contracts.Catalog;

/// <summary>Whether a section is sold seat by seat or as places in a standing/general-admission area.</summary>
public enum SectionKind
{
    Seated,
    GeneralAdmission,
}

/// <summary>An event's life cycle. Only published and on-sale events are public; only on-sale ones sell.</summary>
public enum EventStatus
{
    Draft,
    Published,
    OnSale,
    Closed,
    Cancelled,
}

/// <summary>A row of a seated section: seats numbered 1 to <see cref="Seats"/>.</summary>
public sealed record SeatRow(string Label, int Seats);

/// <summary>
/// A section of the venue as it is sold for this event: every seat of every row (seated) or
/// <see cref="Capacity"/> places (general admission), all at the price of tier <see cref="TierId"/>.
/// </summary>
public sealed record PublishedSection(string Name, SectionKind Kind, int Capacity, Guid TierId, IReadOnlyList<SeatRow> Rows);

public sealed record PublishedTier(Guid TierId, string Name, decimal Price);

/// <summary>
/// An organizer published an event. Carries the whole sellable inventory: booking builds one
/// unit per seat or general-admission place of <see cref="Sections"/> from it, without calling
/// the catalog. Sections of the venue that no tier prices are not sold and not listed here.
/// <see cref="TicketLimit"/>: the most places one buyer may hold or own of the event, as the
/// organizer set it (1 to 10); null: booking's own cap applies. Booking never allows more than its
/// own cap, whatever the limit says.
/// </summary>
[IntegrationEvent("boxoffice.catalog.event-published", Topics.CatalogEvents)]
public sealed record EventPublished(
    Guid EventId,
    int Version,
    string OrganizerId,
    string Name,
    Guid VenueId,
    string VenueName,
    string City,
    DateTimeOffset StartsAt,
    DateTimeOffset SaleOpensAt,
    DateTimeOffset SaleClosesAt,
    string Currency,
    IReadOnlyList<PublishedTier> Tiers,
    IReadOnlyList<PublishedSection> Sections,
    WaitingRoomSettings? WaitingRoom = null,
    int? TicketLimit = null) : IIntegrationEvent
{
    public string AggregateId => EventId.ToString();
}

/// <summary>
/// A published event changed: its state (the sale opened or closed), its waiting room or its
/// ticket limit. <see cref="Version"/> orders changes of one event. <see cref="WaitingRoom"/> and
/// <see cref="TicketLimit"/> are the event's as they are now (null: no waiting room; no limit of
/// the organizer's, booking's own cap applies). Both are last and optional, so a message written
/// before they existed still reads (as none).
/// </summary>
[IntegrationEvent("boxoffice.catalog.event-updated", Topics.CatalogEvents)]
public sealed record EventUpdated(
    Guid EventId, int Version, EventStatus Status, DateTimeOffset SaleOpensAt, DateTimeOffset SaleClosesAt, WaitingRoomSettings? WaitingRoom = null,
    int? TicketLimit = null) : IIntegrationEvent
{
    public string AggregateId => EventId.ToString();
}

/// <summary>An organizer cancelled an event that had been published: nothing more is sold, orders are to be refunded.</summary>
[IntegrationEvent("boxoffice.catalog.event-cancelled", Topics.CatalogEvents)]
public sealed record EventCancelled(Guid EventId, int Version) : IIntegrationEvent
{
    public string AggregateId => EventId.ToString();
}

/// <summary>
/// How an event's waiting room admits buyers (docs/adr/0010-waiting-room.md). Buyers who join
/// from <see cref="PrequeueOpensAt"/> until the sale opens are shuffled at the opening; later
/// ones queue in arrival order. At most <see cref="AdmitPerSecond"/> buyers are admitted per
/// second and at most <see cref="MaxAdmitted"/> hold a valid admission at once (either may be
/// null, not both); an admission is valid for <see cref="AdmissionMinutes"/>. Joining asks for a
/// proof of work of <see cref="ProofOfWorkBits"/> leading zero bits (0: none).
/// </summary>
public sealed record WaitingRoomSettings(
    DateTimeOffset PrequeueOpensAt,
    int? AdmitPerSecond,
    int? MaxAdmitted,
    int AdmissionMinutes,
    int ProofOfWorkBits);
