using Boxoffice.Contracts.WaitingRoom;

namespace Boxoffice.WaitingRoom.Admission;

/// <summary>Which queue tickets an admission request may use.</summary>
internal static class AdmissionRules
{
    /// <summary>
    /// The ticket in <paramref name="header"/> when it is signed by us and is
    /// <paramref name="buyerId"/>'s place in <paramref name="eventId"/>'s queue; else null and why:
    /// missing, invalid, other-event or other-buyer.
    /// </summary>
    public static (QueueTicket? Ticket, string? Refusal) CheckTicket(WaitingRoomTokens tokens, string? header, Guid eventId, string buyerId)
    {
        if (string.IsNullOrEmpty(header))
        {
            return (null, "missing");
        }

        if (tokens.ReadTicket(header) is not { } ticket)
        {
            return (null, "invalid");
        }

        if (ticket.EventId != eventId)
        {
            return (null, "other-event");
        }

        return string.Equals(ticket.BuyerId, buyerId, StringComparison.Ordinal) ? (ticket, null) : (null, "other-buyer");
    }

    /// <summary>The admission a claimed place's buyer holds, until <paramref name="expiresAt"/> (to the second, as the token keeps it).</summary>
    public static Contracts.WaitingRoom.Admission AdmissionOf(Guid eventId, string buyerId, DateTimeOffset expiresAt) =>
        new(eventId, buyerId, expiresAt.ToUnixTimeSeconds());
}
