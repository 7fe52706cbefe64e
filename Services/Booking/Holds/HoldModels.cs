using System.ComponentModel.DataAnnotations;
using Boxoffice.Booking.Inventory;
using Boxoffice.Contracts.WaitingRoom;

namespace Boxoffice.Booking.Holds;

// Request types are public: .NET 10's validation generator skips non-public types.

/// <summary>Either <see cref="Quantity"/> places of tier <see cref="TierId"/>, or the listed <see cref="Seats"/>.</summary>
public sealed record HoldRequest(Guid? TierId, [Range(1, 100)] int? Quantity, [MaxLength(100)] IReadOnlyList<SeatRequest>? Seats);

/// <summary>A seat by section, row and number; a general-admission place has no row.</summary>
public sealed record SeatRequest(
    [Required, StringLength(200, MinimumLength = 1)] string Section,
    [StringLength(50, MinimumLength = 1)] string? Row,
    [Range(1, 1_000_000)] int Seat)
{
    internal Place Place => new(Section, Row, Seat);
}

public sealed record HoldView(Guid HoldId, Guid EventId, string Status, DateTimeOffset ExpiresAt, decimal Amount, string Currency, IReadOnlyList<HeldUnit> Units);

/// <summary>What taking a hold came to: a hold, or why not.</summary>
internal abstract record HoldOutcome
{
    /// <summary>The hold; <see cref="Replayed"/> when it is the first answer to the same Idempotency-Key.</summary>
    public sealed record Taken(HoldView Hold, bool Replayed = false) : HoldOutcome;

    public sealed record KeyReused : HoldOutcome;

    public sealed record EventNotFound : HoldOutcome;

    public sealed record SaleNotOpen(string EventStatus) : HoldOutcome;

    /// <summary>The event sells through a waiting room and the request's admission is not valid for it: <see cref="Check"/> says why.</summary>
    public sealed record AdmissionRequired(AdmissionCheck Check) : HoldOutcome;

    /// <summary>The hold would take the buyer past <see cref="Limit"/>, the event's ticket limit or booking's cap (the lower); <see cref="Held"/>: what they have.</summary>
    public sealed record OverBuyerLimit(int Limit, int Held) : HoldOutcome;

    public sealed record UnknownTier(Guid TierId) : HoldOutcome;

    /// <summary>The buyer abandoned <see cref="Abandoned"/> holds on the event lately, the most allowed; they may hold again after <see cref="RetryAfter"/>.</summary>
    public sealed record TooManyAbandoned(int Abandoned, TimeSpan RetryAfter) : HoldOutcome;

    /// <summary>The units could not be claimed (sold out, taken, unknown, or contended: try again).</summary>
    public sealed record NotClaimed(UnitClaim Claim) : HoldOutcome;

    /// <summary>Others' claims held what was free; the runner tries again (docs/adr/0006-holds.md).</summary>
    public bool IsContended => this is NotClaimed { Claim: UnitClaim.Contended };
}

/// <summary>What releasing a hold came to.</summary>
internal abstract record HoldRelease
{
    public sealed record Released : HoldRelease;

    /// <summary>It had ended already (released or expired): nothing to do.</summary>
    public sealed record AlreadyEnded : HoldRelease;

    public sealed record NotFound : HoldRelease;

    /// <summary>It became part of an order; <see cref="Status"/> says how far it got.</summary>
    public sealed record PartOfOrder(string Status) : HoldRelease;
}

/// <summary>A hold locked for its order, with its event's currency, status and whether it sells through a waiting room.</summary>
internal sealed record HoldForOrder(Guid EventId, string Status, DateTimeOffset ExpiresAt, int Units, decimal Amount, string Currency, string EventStatus, bool WaitingRoom);

internal static class HoldRules
{
    /// <summary>
    /// The rules that need no database. The quantity or seat count is checked against booking's
    /// cap (<c>MaxUnitsPerBuyer</c>), the most any event allows; an event's own, lower ticket
    /// limit is checked with what the buyer has (<see cref="HoldOutcome.OverBuyerLimit"/>).
    /// </summary>
    public static Dictionary<string, string[]> Check(HoldRequest request, BookingOptions options)
    {
        var errors = new Dictionary<string, string[]>();
        var bySeats = request.Seats is not null;
        var byTier = request.TierId is not null || request.Quantity is not null;
        if (bySeats == byTier)
        {
            errors["seats"] = ["Ask either for seats, or for a tierId and a quantity."];
            return errors;
        }

        if (byTier)
        {
            if (request.TierId is null)
            {
                errors["tierId"] = ["The tierId field is required with a quantity."];
            }

            if (request.Quantity is null)
            {
                errors["quantity"] = ["The quantity field is required with a tierId."];
            }
            else if (request.Quantity > options.MaxUnitsPerBuyer)
            {
                errors["quantity"] = [$"At most {options.MaxUnitsPerBuyer} per buyer and event."];
            }
        }
        else if (request.Seats!.Count == 0)
        {
            errors["seats"] = ["Ask for at least one seat."];
        }
        else if (request.Seats.Count > options.MaxUnitsPerBuyer)
        {
            errors["seats"] = [$"At most {options.MaxUnitsPerBuyer} per buyer and event."];
        }
        else if (request.Seats.Any(seat => seat is null))
        {
            errors["seats"] = ["A seat may not be null."];
        }
        else if (request.Seats.DistinctBy(seat => (seat.Section, seat.Row, seat.Seat)).Count() != request.Seats.Count)
        {
            errors["seats"] = ["A seat is listed twice."];
        }

        return errors;
    }
}
