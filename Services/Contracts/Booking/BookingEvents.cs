namespace Boxoffice.Contracts.Booking;

/// <summary>A buyer holds <see cref="Units"/> of an event until <see cref="ExpiresAt"/>.</summary>
[IntegrationEvent("boxoffice.booking.hold-created", Topics.BookingOrders)]
public sealed record HoldCreated(Guid HoldId, Guid EventId, string BuyerId, int Units, DateTimeOffset ExpiresAt) : IIntegrationEvent
{
    public string AggregateId => HoldId.ToString();
}

/// <summary>A hold ran out before it became an order; its units are free again.</summary>
[IntegrationEvent("boxoffice.booking.hold-expired", Topics.BookingOrders)]
public sealed record HoldExpired(Guid HoldId, Guid EventId, int Units) : IIntegrationEvent
{
    public string AggregateId => HoldId.ToString();
}

/// <summary>
/// A buyer placed an order from a hold; it waits for payment until <see cref="PayBy"/>, when its
/// hold expires. Payments charges <see cref="Amount"/> with the order id as the idempotency key.
/// </summary>
[IntegrationEvent("boxoffice.booking.order-placed", Topics.BookingOrders)]
public sealed record OrderPlaced(
    Guid OrderId, Guid EventId, string BuyerId, decimal Amount, string Currency, int Units, DateTimeOffset PayBy) : IIntegrationEvent
{
    public string AggregateId => OrderId.ToString();
}

/// <summary>An order was paid and its units are sold.</summary>
[IntegrationEvent("boxoffice.booking.order-confirmed", Topics.BookingOrders)]
public sealed record OrderConfirmed(Guid OrderId, Guid EventId, string BuyerId, decimal Amount, string Currency, int Units) : IIntegrationEvent
{
    public string AggregateId => OrderId.ToString();
}

/// <summary>Why an order was cancelled.</summary>
public enum OrderCancellationReason
{
    /// <summary>The payment was declined or could not be made.</summary>
    PaymentFailed,

    /// <summary>No payment result came before the hold expired (and the grace period passed).</summary>
    PaymentTimeout,

    /// <summary>A payment succeeded after the hold had expired and its units were no longer the buyer's.</summary>
    HoldExpired,

    /// <summary>The organizer cancelled the event (the order was pending or confirmed).</summary>
    EventCancelled,
}

/// <summary>
/// An order will not be fulfilled; its units are free again. Any money taken for it must be
/// returned: Payments refunds a successful charge when it sees this.
/// </summary>
[IntegrationEvent("boxoffice.booking.order-cancelled", Topics.BookingOrders)]
public sealed record OrderCancelled(Guid OrderId, Guid EventId, string BuyerId, OrderCancellationReason Reason) : IIntegrationEvent
{
    public string AggregateId => OrderId.ToString();
}

public sealed record IssuedTicket(Guid TicketId, string Seat);

/// <summary>The tickets of a confirmed order, one per unit.</summary>
[IntegrationEvent("boxoffice.booking.tickets-issued", Topics.BookingOrders)]
public sealed record TicketsIssued(Guid OrderId, Guid EventId, string BuyerId, IReadOnlyList<IssuedTicket> Tickets) : IIntegrationEvent
{
    public string AggregateId => OrderId.ToString();
}

/// <summary>A ticket was scanned at the door for the first time.</summary>
[IntegrationEvent("boxoffice.booking.ticket-checked-in", Topics.BookingOrders)]
public sealed record TicketCheckedIn(Guid TicketId, Guid OrderId, Guid EventId, DateTimeOffset CheckedInAt) : IIntegrationEvent
{
    public string AggregateId => OrderId.ToString();
}
