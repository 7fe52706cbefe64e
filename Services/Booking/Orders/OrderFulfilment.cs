using Boxoffice.Booking.Holds;
using Boxoffice.Booking.Inventory;
using Boxoffice.Booking.Tickets;
using Boxoffice.Contracts.Booking;
using Boxoffice.Contracts.Catalog;
using Boxoffice.Contracts.Payments;
using Boxoffice.Contracts.WaitingRoom;
using Boxoffice.Messaging.Outbox;
using Boxoffice.Postgres;
using Npgsql;

namespace Boxoffice.Booking.Orders;

/// <summary>
/// An order's life: placed from an active hold; confirmed when its payment arrives while the
/// hold's units are still the buyer's (they are sold and ticketed); cancelled otherwise (they are
/// free again, and any money taken is refunded by Payments when it sees OrderCancelled). Every
/// change is made in the caller's transaction with its events in the outbox; the order row is
/// locked first, so a payment result and the sweeper never both decide.
/// </summary>
internal sealed partial class OrderFulfilment(OutboxWriter outbox, TicketSigner signer, TimeProvider time, ILogger<OrderFulfilment> logger)
{
    /// <summary>
    /// Turns a buyer's active hold into an order waiting for payment until the hold expires;
    /// Payments charges it. For an event with a waiting room, the buyer's admission must still be valid.
    /// </summary>
    public async Task<OrderPlacement> PlaceAsync(
        NpgsqlTransaction transaction, string buyerId, Guid holdId, IdempotentRequest? idempotency, PresentedAdmission admission, Func<Guid, string> location,
        CancellationToken cancellationToken)
    {
        if (idempotency is not null && await IdempotencyStore.ClaimAsync(transaction, buyerId, idempotency, cancellationToken) is { } earlier)
        {
            return earlier.SameRequest ? new OrderPlacement.Placed(earlier.Answer<OrderView>(), earlier.Location!, Replayed: true) : new OrderPlacement.KeyReused();
        }

        var now = time.Now();
        if (await HoldStore.LockForOrderAsync(transaction, holdId, buyerId, cancellationToken) is not { } hold)
        {
            return new OrderPlacement.HoldNotFound();
        }

        if (hold.WaitingRoom && admission.Check(hold.EventId, buyerId, now) is var check and not AdmissionCheck.Valid)
        {
            return new OrderPlacement.AdmissionRequired(hold.EventId, check);
        }

        if (hold.Status != "active" || hold.ExpiresAt <= now)
        {
            return new OrderPlacement.HoldNotActive(hold.Status == "active" ? "expired" : hold.Status);
        }

        if (hold.EventStatus == EventStatusNames.Cancelled)
        {
            return new OrderPlacement.EventCancelled();
        }

        var order = new OrderView(Guid.CreateVersion7(now), hold.EventId, holdId, "pending-payment", hold.Amount, hold.Currency, hold.Units, now, hold.ExpiresAt, null);
        // The order, its hold's new status, its event and the key's answer: one round trip.
        var placedAt = location(order.OrderId);
        await using (var insert = transaction.Batch([
            OrderStore.InsertStatement(order, buyerId),
            HoldStore.StatusStatement(holdId, "ordered"),
            .. outbox.Statements(new OrderPlaced(order.OrderId, order.EventId, buyerId, order.Amount, order.Currency, order.Units, order.PayBy)).Statements,
            .. idempotency is null ? [] : new[] { IdempotencyStore.RecordStatement(buyerId, idempotency, placedAt, order) }]))
        {
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        return new OrderPlacement.Placed(order, placedAt);
    }

    /// <summary>
    /// Applies a successful charge to its order, under the order's lock: the order is confirmed,
    /// or cancelled when it can no longer be sold. A charge that cannot be this order's (unknown
    /// order, another amount or currency) changes nothing and comes back as the mismatch.
    /// </summary>
    public async Task<PaymentMismatch?> ConfirmAsync(NpgsqlTransaction transaction, PaymentSucceeded payment, CancellationToken cancellationToken)
    {
        var (orderId, chargeId) = (payment.OrderId, payment.ChargeId);
        if (await OrderStore.LockAsync(transaction, orderId, cancellationToken) is not { } order)
        {
            return PaymentChecks.UnknownOrder(orderId);
        }

        if (PaymentChecks.Succeeded(payment, order) is { } mismatch)
        {
            return mismatch;
        }

        if (order.Status != "pending-payment")
        {
            // Cancelled first (its OrderCancelled makes Payments refund), or confirmed already.
            LogPaymentIgnored(orderId, order.Status);
            return null;
        }

        var (eventStatus, units) = await EventAndUnitsAsync(transaction, order, cancellationToken);
        if (eventStatus == EventStatusNames.Cancelled)
        {
            // Paid for an event that will not happen: cancel, and Payments refunds.
            await CancelAsync(transaction, orderId, OrderCancellationReason.EventCancelled, cancellationToken);
            return null;
        }

        if (units.Count != order.Units)
        {
            // The hold expired and some of its units went to another buyer: never sell them twice.
            BookingMetrics.OversellChecks.Add(1);
            await CancelAsync(transaction, orderId, OrderCancellationReason.HoldExpired, cancellationToken);
            return null;
        }

        var tickets = await SellAsync(transaction, orderId, chargeId, order, units, cancellationToken);
        BookingMetrics.OrdersConfirmed.Add(1);
        BookingMetrics.TicketsSold.Add(tickets.Count);
        BookingMetrics.OrderFulfilment.Record(Math.Max(0, (time.Now() - order.CreatedAt).TotalSeconds));
        LogConfirmed(orderId, tickets.Count);
        return null;
    }

    /// <summary>Cancels a pending order and frees its units. Returns false when the order was no longer pending.</summary>
    public async Task<bool> CancelAsync(NpgsqlTransaction transaction, Guid orderId, OrderCancellationReason reason, CancellationToken cancellationToken)
    {
        var reasonName = reason switch
        {
            OrderCancellationReason.PaymentFailed => "payment-failed",
            OrderCancellationReason.PaymentTimeout => "payment-timeout",
            OrderCancellationReason.EventCancelled => "event-cancelled",
            _ => "hold-expired",
        };
        if (await OrderStore.CancelPendingAsync(transaction, orderId, reasonName, time.Now(), cancellationToken) is not { } cancelled)
        {
            return false;
        }

        await using (var release = transaction.Batch([
            HoldStore.StatusStatement(cancelled.HoldId, "cancelled"),
            UnitStore.ReleaseStatement([cancelled.HoldId]),
            .. outbox.Statements(new OrderCancelled(orderId, cancelled.EventId, cancelled.BuyerId, reason)).Statements]))
        {
            await release.ExecuteNonQueryAsync(cancellationToken);
        }

        BookingMetrics.OrdersCancelled.Add(1, new KeyValuePair<string, object?>("reason", reasonName));
        LogCancelled(orderId, reasonName);
        return true;
    }

    /// <summary>
    /// The event was cancelled: pending orders are cancelled (units freed), and confirmed ones too,
    /// their tickets void; each announces OrderCancelled, so Payments refunds what it charged.
    /// </summary>
    public async Task CancelEventOrdersAsync(NpgsqlTransaction transaction, Guid eventId, CancellationToken cancellationToken)
    {
        var pending = await OrderStore.LockPendingOfEventAsync(transaction, eventId, cancellationToken);
        foreach (var orderId in pending)
        {
            await CancelAsync(transaction, orderId, OrderCancellationReason.EventCancelled, cancellationToken);
        }

        var confirmed = await OrderStore.CancelConfirmedOfEventAsync(transaction, eventId, time.Now(), cancellationToken);
        foreach (var (orderId, buyerId) in confirmed)
        {
            await outbox.EnqueueAsync(transaction, new OrderCancelled(orderId, eventId, buyerId, OrderCancellationReason.EventCancelled), cancellationToken);
        }

        BookingMetrics.OrdersCancelled.Add(pending.Count + confirmed.Count, new KeyValuePair<string, object?>("reason", "event-cancelled"));
        LogEventOrdersCancelled(eventId, pending.Count, confirmed.Count);
    }

    /// <summary>A declined or overdue charge cancels its order if it is still pending; one for an order booking does not know comes back as the mismatch.</summary>
    public async Task<PaymentMismatch?> PaymentFailedAsync(NpgsqlTransaction transaction, PaymentFailed failure, CancellationToken cancellationToken)
    {
        if (await OrderStore.LockAsync(transaction, failure.OrderId, cancellationToken) is null)
        {
            return PaymentChecks.UnknownOrder(failure.OrderId);
        }

        await CancelAsync(transaction, failure.OrderId, OrderCancellationReason.PaymentFailed, cancellationToken);
        return null;
    }

    /// <summary>A refund marks a cancelled order refunded; one that cannot be of this order's charge comes back as the mismatch.</summary>
    public async Task<PaymentMismatch?> RefundedAsync(NpgsqlTransaction transaction, PaymentRefunded refund, CancellationToken cancellationToken)
    {
        if (await OrderStore.LockAsync(transaction, refund.OrderId, cancellationToken) is not { } order)
        {
            // Money going back can do no harm: Payments' reconciliation refunds charges no order of
            // its own claimed, and tells of them too. There is nothing here to change.
            return null;
        }

        if (PaymentChecks.Refunded(refund, order) is { } mismatch)
        {
            return mismatch;
        }

        await OrderStore.MarkRefundedAsync(transaction, refund.OrderId, time.Now(), cancellationToken);
        return null;
    }

    /// <summary>
    /// The order's event's status, and the unsold units its hold still has, locked for the order to
    /// take them: one round trip. Units of an order about to be cancelled are locked for nothing, as
    /// its cancellation frees them in the same transaction.
    /// </summary>
    private static async Task<(string? EventStatus, IReadOnlyList<UnsoldUnit> Units)> EventAndUnitsAsync(
        NpgsqlTransaction transaction, LockedOrder order, CancellationToken cancellationToken)
    {
        await using var batch = transaction.Batch(EventStore.StatusStatement(order.EventId), UnitStore.LockUnsoldStatement(order.HoldId));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var status = await reader.ReadAsync(cancellationToken) ? reader.GetString(0) : null;
        await reader.NextResultAsync(cancellationToken);
        return (status, await UnitStore.ReadUnsoldAsync(reader, cancellationToken));
    }

    /// <summary>
    /// Sells the units to the order for good, confirms it and its hold, issues a signed ticket per
    /// unit, and writes OrderConfirmed and TicketsIssued to the outbox, in one round trip.
    /// </summary>
    private async Task<IReadOnlyList<NewTicket>> SellAsync(
        NpgsqlTransaction transaction, Guid orderId, string chargeId, LockedOrder order, IReadOnlyList<UnsoldUnit> units, CancellationToken cancellationToken)
    {
        var now = time.Now();
        var key = await signer.KeyAsync(cancellationToken);
        var tickets = units.Select(unit =>
        {
            var ticketId = Guid.CreateVersion7(now);
            return new NewTicket(ticketId, unit.UnitId, unit.Label, signer.Sign(key, new TicketClaims(ticketId, order.EventId, unit.Label)));
        }).ToList();
        await using var sell = transaction.Batch([
            UnitStore.SellStatement(orderId, units.Select(unit => unit.UnitId)),
            OrderStore.ConfirmStatement(orderId, chargeId, now),
            HoldStore.StatusStatement(order.HoldId, "confirmed"),
            TicketStore.IssueStatement(orderId, order.EventId, order.BuyerId, now, tickets),
            .. outbox.Statements(new OrderConfirmed(orderId, order.EventId, order.BuyerId, order.Amount, order.Currency, order.Units)).Statements,
            .. outbox.Statements(new TicketsIssued(orderId, order.EventId, order.BuyerId, [.. tickets.Select(ticket => new IssuedTicket(ticket.TicketId, ticket.Seat))])).Statements]);
        await sell.ExecuteNonQueryAsync(cancellationToken);
        return tickets;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Event {EventId} was cancelled: {Pending} pending and {Confirmed} confirmed orders cancelled")]
    private partial void LogEventOrdersCancelled(Guid eventId, int pending, int confirmed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Order {OrderId} confirmed: {Tickets} tickets issued")]
    private partial void LogConfirmed(Guid orderId, int tickets);

    [LoggerMessage(Level = LogLevel.Information, Message = "Order {OrderId} cancelled: {Reason}")]
    private partial void LogCancelled(Guid orderId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Payment for order {OrderId} ignored: the order is {Status}")]
    private partial void LogPaymentIgnored(Guid orderId, string status);
}
