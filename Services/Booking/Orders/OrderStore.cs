using Boxoffice.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace Boxoffice.Booking.Orders;

/// <summary>Every statement on <c>orders</c>.</summary>
internal static class OrderStore
{
    private const string ViewColumns = "order_id, event_id, hold_id, status, amount, currency, units, created_at, pay_by, cancel_reason";

    /// <summary>A batch statement recording a new order waiting for payment.</summary>
    public static NpgsqlBatchCommand InsertStatement(OrderView order, string buyerId) =>
        Sql.Statement(
            "INSERT INTO orders (order_id, hold_id, event_id, buyer_id, amount, currency, units, status, created_at, pay_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending-payment', $8, $9, $8)",
            order.OrderId, order.HoldId, order.EventId, buyerId, order.Amount, order.Currency, order.Units, order.CreatedAt, order.PayBy);

    /// <summary>A batch statement confirming a paid order.</summary>
    public static NpgsqlBatchCommand ConfirmStatement(Guid orderId, string chargeId, DateTimeOffset now) =>
        Sql.Statement("UPDATE orders SET status = 'confirmed', charge_id = $2, updated_at = $3 WHERE order_id = $1", orderId, chargeId, now);

    /// <summary>
    /// A page of a buyer's orders, newest first (ties by id), after the order <paramref name="after"/>;
    /// null when that is not one of the buyer's orders. Keyset over <c>orders_by_buyer</c>.
    /// </summary>
    public static async Task<Page<OrderView>?> ListAsync(NpgsqlConnection connection, string buyerId, int limit, Guid? after, CancellationToken cancellationToken)
    {
        var (found, afterCreated) = await connection.AnchorAsync(
            after, "SELECT created_at FROM orders WHERE order_id = $1 AND buyer_id = $2", buyerId, row => (DateTimeOffset?)row.GetFieldValue<DateTimeOffset>(0), cancellationToken);
        if (!found)
        {
            return null;
        }

        await using var select = connection.Command(
            $"""
            SELECT {ViewColumns} FROM orders
            WHERE buyer_id = $1 AND ($2::timestamptz IS NULL OR (created_at, order_id) < ($2, $3::uuid))
            ORDER BY created_at DESC, order_id DESC
            LIMIT $4
            """,
            buyerId, Sql.Typed(afterCreated, NpgsqlDbType.TimestampTz), Sql.Typed(after, NpgsqlDbType.Uuid), limit + 1);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        var orders = new List<OrderView>(limit + 1);
        while (await reader.ReadAsync(cancellationToken))
        {
            orders.Add(View(reader));
        }

        return Page.From(orders, limit);
    }

    /// <summary>One of a buyer's orders, or null (none, or another buyer's).</summary>
    public static async Task<OrderView?> FindAsync(NpgsqlConnection connection, Guid orderId, string buyerId, CancellationToken cancellationToken)
    {
        await using var select = connection.Command($"SELECT {ViewColumns} FROM orders WHERE order_id = $1 AND buyer_id = $2", orderId, buyerId);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? View(reader) : null;
    }

    public static async Task<bool> ExistsAsync(NpgsqlConnection connection, Guid orderId, string buyerId, CancellationToken cancellationToken)
    {
        await using var exists = connection.Command("SELECT 1 FROM orders WHERE order_id = $1 AND buyer_id = $2", orderId, buyerId);
        return await exists.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>Locks an order for its end (a payment result, the sweeper, a cancelled event), or null for an order booking does not know.</summary>
    public static async Task<LockedOrder?> LockAsync(NpgsqlTransaction transaction, Guid orderId, CancellationToken cancellationToken)
    {
        await using var select = transaction.Command(
            "SELECT hold_id, event_id, buyer_id, amount, currency, units, status, created_at FROM orders WHERE order_id = $1 FOR UPDATE", orderId);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new LockedOrder(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetDecimal(3), reader.GetString(4), reader.GetInt32(5), reader.GetString(6), reader.GetFieldValue<DateTimeOffset>(7))
            : null;
    }

    /// <summary>Cancels an order still waiting for payment; null when it was no longer pending.</summary>
    public static async Task<CancelledOrder?> CancelPendingAsync(NpgsqlTransaction transaction, Guid orderId, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var cancel = transaction.Command(
            "UPDATE orders SET status = 'cancelled', cancel_reason = $2, updated_at = $3 WHERE order_id = $1 AND status = 'pending-payment' RETURNING hold_id, event_id, buyer_id",
            orderId, reason, now);
        await using var reader = await cancel.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new CancelledOrder(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2)) : null;
    }

    /// <summary>Cancels an event's confirmed orders (their tickets become void); returns each order with its buyer.</summary>
    public static async Task<IReadOnlyList<(Guid OrderId, string BuyerId)>> CancelConfirmedOfEventAsync(NpgsqlTransaction transaction, Guid eventId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var cancel = transaction.Command(
            "UPDATE orders SET status = 'cancelled', cancel_reason = 'event-cancelled', updated_at = $2 WHERE event_id = $1 AND status = 'confirmed' RETURNING order_id, buyer_id",
            eventId, now);
        await using var reader = await cancel.ExecuteReaderAsync(cancellationToken);
        var confirmed = new List<(Guid, string)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            confirmed.Add((reader.GetGuid(0), reader.GetString(1)));
        }

        return confirmed;
    }

    /// <summary>Locks an event's pending orders, in id order.</summary>
    public static Task<IReadOnlyList<Guid>> LockPendingOfEventAsync(NpgsqlTransaction transaction, Guid eventId, CancellationToken cancellationToken) =>
        ReadIdsAsync(transaction.Command("SELECT order_id FROM orders WHERE event_id = $1 AND status = 'pending-payment' ORDER BY order_id FOR UPDATE", eventId), cancellationToken);

    /// <summary>Locks up to <paramref name="limit"/> pending orders due by <paramref name="dueBy"/>, taking only rows no other replica has locked.</summary>
    public static Task<IReadOnlyList<Guid>> LockOverdueAsync(NpgsqlTransaction transaction, DateTimeOffset dueBy, int limit, CancellationToken cancellationToken) =>
        ReadIdsAsync(transaction.Command(
            "SELECT order_id FROM orders WHERE status = 'pending-payment' AND pay_by <= $1 ORDER BY pay_by LIMIT $2 FOR UPDATE SKIP LOCKED", dueBy, limit), cancellationToken);

    public static async Task MarkRefundedAsync(NpgsqlTransaction transaction, Guid orderId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var refunded = transaction.Command(
            "UPDATE orders SET status = 'refunded', updated_at = $2 WHERE order_id = $1 AND status = 'cancelled'", orderId, now);
        await refunded.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<IReadOnlyList<Guid>> ReadIdsAsync(NpgsqlCommand select, CancellationToken cancellationToken)
    {
        await using (select)
        {
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            var ids = new List<Guid>();
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetGuid(0));
            }

            return ids;
        }
    }

    private static OrderView View(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetString(3), reader.GetDecimal(4), reader.GetString(5), reader.GetInt32(6),
        reader.GetFieldValue<DateTimeOffset>(7), reader.GetFieldValue<DateTimeOffset>(8), reader.IsDBNull(9) ? null : reader.GetString(9));
}
