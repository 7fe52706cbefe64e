using System.ComponentModel.DataAnnotations;

namespace Boxoffice.Booking.Tickets;

// Request types are public: .NET 10's validation generator skips non-public types.
public sealed record CheckInRequest([Required, StringLength(TicketSigner.MaxCodeLength, MinimumLength = 1)] string? Code);

public sealed record CheckInView(Guid TicketId, Guid EventId, string Seat, string Status, DateTimeOffset CheckedInAt);

public sealed record SigningKeyView(string KeyId, string Algorithm, string PublicKey);

public sealed record TicketView(Guid TicketId, Guid OrderId, Guid EventId, string Seat, string Code, DateTimeOffset IssuedAt, DateTimeOffset? CheckedInAt);

/// <summary>A ticket about to be issued for a sold unit.</summary>
internal sealed record NewTicket(Guid TicketId, long UnitId, string Seat, string Code);

/// <summary>What a scan at the door came to.</summary>
internal abstract record CheckIn
{
    public sealed record Admitted(CheckInView Ticket) : CheckIn;

    /// <summary>Signed by us, but no such ticket.</summary>
    public sealed record NotFound : CheckIn;

    /// <summary>Its order was cancelled (the event was cancelled): <see cref="OrderStatus"/>.</summary>
    public sealed record Void(string OrderStatus) : CheckIn;

    /// <summary>Checked in before, at <see cref="FirstAt"/>.</summary>
    public sealed record Repeat(DateTimeOffset FirstAt) : CheckIn;
}
