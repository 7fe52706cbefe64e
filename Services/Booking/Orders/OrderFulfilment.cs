using Boxoffice.Booking.Tickets;
using Boxoffice.Contracts.Booking;
using Boxoffice.Messaging.Outbox;
using Npgsql;
using Boxoffice.Messaging.Postgres;

namespace Boxoffice.Booking.Orders;

/// <summary>
/// An order's end: confirmed when its payment arrives while the hold's units are still the
/// buyer's (they are sold and ticketed), cancelled otherwise (they are free again, and any money
/// taken is refunded by Payments when it sees OrderCancelled). Every change is one transaction
/// with its events in the outbox; the order row is locked first, so a payment result and the
/// sweeper never both decide.
/// </summary>
internal sealed partial class OrderFulfilment(OutboxWriter outbox, TicketSigner signer, TimeProvider time, ILogger<OrderFulfilment> logger)
{
    public async Task ConfirmAsync(NpgsqlTransaction transaction, Guid orderId, string chargeId, CancellationToken cancellationToken)
    {
        if (await LockAsync(transaction, orderId, cancellationToken) is not { } order)
        {
            throw new InvalidOperationException($"A payment arrived for order {orderId}, which booking does not know.");
        }

        if (order.Status != "pending-payment")
        {
            // Cancelled first (its OrderCancelled makes Payments refund), or confirmed already.
            LogPaymentIgnored(orderId, order.Status);
            return;
        }

        await using (var eventStatus = transaction.Command("SELECT status FROM events WHERE event_id = $1", order.EventId))
        {
            if (await eventStatus.ExecuteScalarAsync(cancellationToken) is "cancelled")
            {
                // Paid for an event that will not happen: cancel, and Payments refunds.
                await CancelAsync(transaction, orderId, OrderCancellationReason.EventCancelled, cancellationToken);
                return;
            }
        }

        var units = new List<(long Id, string Seat)>();
        await using (var locked = transaction.Command(
            "SELECT unit_id, section, row_label, seat FROM units WHERE hold_id = $1 AND order_id IS NULL ORDER BY unit_id FOR UPDATE", order.HoldId))
        await using (var reader = await locked.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                units.Add((reader.GetInt64(0), Holds.HoldStore.Label(new(reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt32(3)))));
            }
        }

        if (units.Count != order.Units)
        {
            // The hold expired and some of its units went to another buyer: never sell them twice.
            BookingMetrics.OversellChecks.Add(1);
            await CancelAsync(transaction, orderId, OrderCancellationReason.HoldExpired, cancellationToken);
            return;
        }

        var now = time.Now();
        var key = await signer.KeyAsync(cancellationToken);
        var tickets = units.Select(unit =>
        {
            var ticketId = Guid.CreateVersion7(now);
            return (unit.Id, TicketId: ticketId, unit.Seat, Code: signer.Sign(key, new TicketClaims(ticketId, order.EventId, unit.Seat)));
        }).ToList();
        await using (var sell = new NpgsqlBatch(transaction.Connection, transaction)
        {
            BatchCommands =
            {
                Sql.Batch("UPDATE units SET order_id = $1 WHERE unit_id = ANY($2)", orderId, units.Select(unit => unit.Id).ToArray()),
                Sql.Batch("UPDATE orders SET status = 'confirmed', charge_id = $2, updated_at = $3 WHERE order_id = $1", orderId, chargeId, now),
                Sql.Batch("UPDATE holds SET status = 'confirmed' WHERE hold_id = $1", order.HoldId),
                Sql.Batch(
                    """
                    INSERT INTO tickets (ticket_id, order_id, event_id, unit_id, buyer_id, seat, code, issued_at)
                    SELECT t.id, $1, $2, t.unit, $3, t.seat, t.code, $4 FROM unnest($5::uuid[], $6::bigint[], $7::text[], $8::text[]) AS t(id, unit, seat, code)
                    """,
                    orderId, order.EventId, order.BuyerId, now,
                    tickets.Select(t => t.TicketId).ToArray(), tickets.Select(t => t.Id).ToArray(), tickets.Select(t => t.Seat).ToArray(), tickets.Select(t => t.Code).ToArray()),
            },
        })
        {
            await sell.ExecuteNonQueryAsync(cancellationToken);
        }

        var connection = transaction.Connection!;
        await outbox.EnqueueAsync(connection, transaction, new OrderConfirmed(orderId, order.EventId, order.BuyerId, order.Amount, order.Currency, order.Units), cancellationToken);
        await outbox.EnqueueAsync(connection, transaction,
            new TicketsIssued(orderId, order.EventId, order.BuyerId, [.. tickets.Select(t => new IssuedTicket(t.TicketId, t.Seat))]), cancellationToken);
        BookingMetrics.OrdersConfirmed.Add(1);
        BookingMetrics.TicketsSold.Add(tickets.Count);
        LogConfirmed(orderId, tickets.Count);
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
        Guid holdId, eventId;
        string buyerId;
        await using (var cancel = transaction.Command(
            "UPDATE orders SET status = 'cancelled', cancel_reason = $2, updated_at = $3 WHERE order_id = $1 AND status = 'pending-payment' RETURNING hold_id, event_id, buyer_id",
            orderId, reasonName, time.Now()))
        await using (var reader = await cancel.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return false;
            }

            (holdId, eventId, buyerId) = (reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2));
        }

        await using (var hold = transaction.Command("UPDATE holds SET status = 'cancelled' WHERE hold_id = $1", holdId))
        {
            await hold.ExecuteNonQueryAsync(cancellationToken);
        }

        await OrderFulfilmentSql.ReleaseUnitsAsync(transaction, holdId, cancellationToken);
        await outbox.EnqueueAsync(transaction.Connection!, transaction, new OrderCancelled(orderId, eventId, buyerId, reason), cancellationToken);
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
        var pending = new List<Guid>();
        await using (var select = transaction.Command(
            "SELECT order_id FROM orders WHERE event_id = $1 AND status = 'pending-payment' ORDER BY order_id FOR UPDATE", eventId))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                pending.Add(reader.GetGuid(0));
            }
        }

        foreach (var orderId in pending)
        {
            await CancelAsync(transaction, orderId, OrderCancellationReason.EventCancelled, cancellationToken);
        }

        var confirmed = new List<(Guid OrderId, string BuyerId)>();
        await using (var cancel = transaction.Command(
            "UPDATE orders SET status = 'cancelled', cancel_reason = 'event-cancelled', updated_at = $2 WHERE event_id = $1 AND status = 'confirmed' RETURNING order_id, buyer_id",
            eventId, time.Now()))
        await using (var reader = await cancel.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                confirmed.Add((reader.GetGuid(0), reader.GetString(1)));
            }
        }

        foreach (var (orderId, buyerId) in confirmed)
        {
            await outbox.EnqueueAsync(transaction.Connection!, transaction, new OrderCancelled(orderId, eventId, buyerId, OrderCancellationReason.EventCancelled), cancellationToken);
        }

        BookingMetrics.OrdersCancelled.Add(pending.Count + confirmed.Count, new KeyValuePair<string, object?>("reason", "event-cancelled"));
        LogEventOrdersCancelled(eventId, pending.Count, confirmed.Count);
    }

    public async Task RefundedAsync(NpgsqlTransaction transaction, Guid orderId, CancellationToken cancellationToken)
    {
        await using var refunded = transaction.Command(
            "UPDATE orders SET status = 'refunded', updated_at = $2 WHERE order_id = $1 AND status = 'cancelled'", orderId, time.Now());
        await refunded.ExecuteNonQueryAsync(cancellationToken);
    }

    private sealed record LockedOrder(Guid HoldId, Guid EventId, string BuyerId, decimal Amount, string Currency, int Units, string Status);

    private static async Task<LockedOrder?> LockAsync(NpgsqlTransaction transaction, Guid orderId, CancellationToken cancellationToken)
    {
        await using var select = transaction.Command(
            "SELECT hold_id, event_id, buyer_id, amount, currency, units, status FROM orders WHERE order_id = $1 FOR UPDATE", orderId);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new LockedOrder(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetDecimal(3), reader.GetString(4), reader.GetInt32(5), reader.GetString(6))
            : null;
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

internal static class OrderFulfilmentSql
{
    /// <summary>Frees the units a hold still has (those another hold took since are not touched; sold ones never).</summary>
    public static async Task ReleaseUnitsAsync(NpgsqlTransaction transaction, Guid holdId, CancellationToken cancellationToken)
    {
        await using var release = transaction.Command("UPDATE units SET hold_id = NULL, held_until = NULL WHERE hold_id = $1 AND order_id IS NULL", holdId);
        await release.ExecuteNonQueryAsync(cancellationToken);
    }
}
