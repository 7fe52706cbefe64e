using System.ComponentModel.DataAnnotations;
using Boxoffice.Contracts.WaitingRoom;

namespace Boxoffice.Booking.Orders;

// Request types are public: .NET 10's validation generator skips non-public types.
public sealed record OrderRequest([Required] Guid? HoldId);

public sealed record OrderView(
    Guid OrderId, Guid EventId, Guid HoldId, string Status, decimal Amount, string Currency, int Units,
    DateTimeOffset CreatedAt, DateTimeOffset PayBy, string? CancelReason);

/// <summary>What placing an order came to: an order, or why not.</summary>
internal abstract record OrderPlacement
{
    /// <summary>The order, where it lives; <see cref="Replayed"/> when it is the first answer to the same Idempotency-Key.</summary>
    public sealed record Placed(OrderView Order, string Location, bool Replayed = false) : OrderPlacement;

    public sealed record KeyReused : OrderPlacement;

    public sealed record HoldNotFound : OrderPlacement;

    /// <summary>The hold cannot become an order: <see cref="Status"/> is what it is (<c>expired</c> once past its time).</summary>
    public sealed record HoldNotActive(string Status) : OrderPlacement;

    public sealed record EventCancelled : OrderPlacement;

    /// <summary>The hold's event sells through a waiting room and the request's admission is not valid for it: <see cref="Check"/> says why.</summary>
    public sealed record AdmissionRequired(Guid EventId, AdmissionCheck Check) : OrderPlacement;
}

/// <summary>An order locked for its end, with what the end needs to know.</summary>
internal sealed record LockedOrder(Guid HoldId, Guid EventId, string BuyerId, decimal Amount, string Currency, int Units, string Status, DateTimeOffset CreatedAt);

/// <summary>Why a payment result cannot be about the order it names (see <see cref="PaymentChecks"/>): it is refused and changes nothing.</summary>
internal sealed record PaymentMismatch(string Reason);

/// <summary>A pending order just cancelled: whose it was and which hold it had.</summary>
internal sealed record CancelledOrder(Guid HoldId, Guid EventId, string BuyerId);
