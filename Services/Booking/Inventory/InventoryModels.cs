using Boxoffice.Contracts.Catalog;

namespace Boxoffice.Booking.Inventory;

/// <summary>A place by section, row and number; a general-admission place has no row.</summary>
internal sealed record Place(string Section, string? Row, int Seat)
{
    /// <summary>How a ticket and an error message name the place: "Stalls C-12", or "Floor place 7".</summary>
    public string Label => Row is null ? $"{Section} place {Seat}" : $"{Section} {Row}-{Seat}";
}

/// <summary>A unit as a hold shows it: where it is, its tier, and its price.</summary>
public sealed record HeldUnit(string Section, string? Row, int Seat, Guid TierId, decimal Price);

/// <summary>A unit a paid order is about to take for good, with the label its ticket carries.</summary>
internal sealed record UnsoldUnit(long UnitId, string Label);

/// <summary>Why a claim on units took none (a claim that took them all is a hold).</summary>
internal abstract record UnitClaim
{
    /// <summary>Fewer free than asked: <see cref="Available"/> is how many are.</summary>
    public sealed record SoldOut(int Available) : UnitClaim;

    /// <summary>Enough are free, but others' claims have them locked and may still roll back: try again.</summary>
    public sealed record Contended : UnitClaim;

    /// <summary>Some named places are not sold for the event.</summary>
    public sealed record UnknownPlaces(IReadOnlyList<Place> Places) : UnitClaim;

    /// <summary>Some named places are held or sold.</summary>
    public sealed record PlacesTaken(IReadOnlyList<Place> Places) : UnitClaim;
}

/// <summary>
/// What an <c>EventUpdated</c> sets on booking's copy of an event besides its status: the sale
/// window, whether it sells through a waiting room, and its ticket limit (null: none), each as
/// the event has it now.
/// </summary>
internal sealed record EventTerms(DateTimeOffset SaleOpensAt, DateTimeOffset SaleClosesAt, bool WaitingRoom, int? TicketLimit);

/// <summary>What applying a change of an event came to.</summary>
internal enum EventChange
{
    Applied,

    /// <summary>A newer version was applied already.</summary>
    Stale,

    /// <summary>The event is not known yet (its EventPublished is still to come).</summary>
    Unknown,
}

public sealed record TierAvailability(Guid TierId, string Name, decimal Price, int Capacity, int Available);

/// <summary>The public counts of an event; <see cref="TicketLimit"/>: the most places one buyer may hold or own of it.</summary>
public sealed record EventAvailability(
    Guid EventId, string Status, string Currency, DateTimeOffset SaleOpensAt, DateTimeOffset SaleClosesAt, int TicketLimit, DateTimeOffset CountedAt, IReadOnlyList<TierAvailability> Tiers);
