using System.Text.Json.Serialization;
using Boxoffice.Contracts.Catalog;

namespace Boxoffice.Storefront.Api;

// What the storefront reads from the APIs: its own records of the fields it shows (a client's view,
// not the services' types; unknown fields are ignored).

internal sealed record EventSummary(Guid Id, string Name, string City, DateTimeOffset StartsAt, string Status);

internal sealed record EventListing(IReadOnlyList<EventSummary> Items, int Page, int PageSize, long Total);

internal sealed record VenueRef(Guid Id, string Name, string City, string Address);

internal sealed record TierView(Guid Id, string Name, decimal Price, IReadOnlyList<string> Sections);

internal sealed record EventDetail(
    Guid Id, string Name, string Description, string Status, DateTimeOffset StartsAt, DateTimeOffset SaleOpensAt,
    DateTimeOffset SaleClosesAt, string Currency, VenueRef Venue, IReadOnlyList<TierView> Tiers, int? TicketLimit);

internal sealed record SeatMap(Guid EventId, int Capacity, IReadOnlyList<SeatMapSection> Sections);

internal sealed record SeatMapSection(string Name, string Kind, int Capacity, Guid? TierId, IReadOnlyList<SeatRow> Rows)
{
    public bool Seated => Kind == "seated";
}

internal sealed record TierAvailability(Guid TierId, string Name, decimal Price, int Capacity, int Available);

internal sealed record EventAvailability(Guid EventId, string Status, string Currency, int TicketLimit, DateTimeOffset CountedAt, IReadOnlyList<TierAvailability> Tiers);

internal sealed record WaitingRoomInfo(Guid EventId, string State, DateTimeOffset? PrequeueOpensAt, DateTimeOffset? SaleOpensAt, int? AdmitPerSecond, int ProofOfWorkBits, long Waiting);

internal sealed record Challenge(string Value, int Bits)
{
    [JsonConstructor]
    public Challenge(string challenge, int bits, DateTimeOffset expiresAt) : this(challenge, bits)
    {
    }
}

internal sealed record HeldUnit(string Section, string? Row, int Seat, Guid TierId, decimal Price)
{
    public string Label => Row is null ? $"{Section}, place {Seat}" : $"{Section}, row {Row}, seat {Seat}";
}

internal sealed record HoldView(Guid HoldId, Guid EventId, string Status, DateTimeOffset ExpiresAt, decimal Amount, string Currency, IReadOnlyList<HeldUnit> Units);

internal sealed record OrderView(
    Guid OrderId, Guid EventId, Guid HoldId, string Status, decimal Amount, string Currency, int Units,
    DateTimeOffset CreatedAt, DateTimeOffset PayBy, string? CancelReason);

internal sealed record TicketView(Guid TicketId, Guid OrderId, Guid EventId, string Seat, string Code, DateTimeOffset IssuedAt, DateTimeOffset? CheckedInAt);

/// <summary>A seat asked for by the buyer; a general-admission place has no row.</summary>
internal sealed record SeatChoice(string Section, string? Row, int Seat);

internal sealed record HoldRequest(Guid? TierId, int? Quantity, IReadOnlyList<SeatChoice>? Seats);
