using System.ComponentModel.DataAnnotations;

namespace Boxoffice.Booking.Orders;

// Request types are public: .NET 10's validation generator skips non-public types.
public sealed record OrderRequest([Required] Guid? HoldId);

public sealed record OrderView(
    Guid OrderId, Guid EventId, Guid HoldId, string Status, decimal Amount, string Currency, int Units,
    DateTimeOffset CreatedAt, DateTimeOffset PayBy, string? CancelReason);

public sealed record TicketView(Guid TicketId, Guid OrderId, Guid EventId, string Seat, string Code, DateTimeOffset IssuedAt, DateTimeOffset? CheckedInAt);
