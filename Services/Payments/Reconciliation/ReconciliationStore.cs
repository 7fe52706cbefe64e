using Boxoffice.Postgres;
using Npgsql;

namespace Boxoffice.Payments.Reconciliation;

/// <summary>The sweep's statements: its cursor and lock, and the payment rows it reads and settles.</summary>
internal static class ReconciliationStore
{
    /// <summary>The creation time up to which every charge is settled.</summary>
    public static async Task<DateTimeOffset> ReadCursorAsync(NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = transaction.Command("SELECT settled_until FROM reconciliation_cursor");
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime settledUntil
            ? new DateTimeOffset(settledUntil, TimeSpan.Zero)
            : throw new InvalidOperationException("The reconciliation cursor is missing (migration 0002_reconciliation).");
    }

    /// <summary>Moves the cursor on; never back.</summary>
    public static async Task MoveCursorAsync(NpgsqlTransaction transaction, DateTimeOffset settledUntil, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = transaction.Command(
            "UPDATE reconciliation_cursor SET settled_until = greatest(settled_until, $1), swept_at = $2", settledUntil, now);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The payment rows of these orders, as committed now (unlocked: a row to act on is locked and read again).</summary>
    public static async Task<Dictionary<Guid, PaymentRow>> ReadRowsAsync(NpgsqlTransaction transaction, Guid[] orderIds, CancellationToken cancellationToken)
    {
        var rows = new Dictionary<Guid, PaymentRow>(orderIds.Length);
        if (orderIds.Length == 0)
        {
            return rows;
        }

        await using var command = transaction.Command("SELECT order_id, status, refund_id FROM payments WHERE order_id = ANY($1)", orderIds);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows[reader.GetGuid(0)] = new PaymentRow(reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2));
        }

        return rows;
    }

    /// <summary>
    /// Records an order no event ever told Payments of as cancelled; false when its row exists.
    /// If an OrderPlaced is being handled for it right now, this waits for that transaction's own
    /// insert: then the row is the handler's. If one comes later, it finds the order not pending
    /// and charges nothing.
    /// </summary>
    public static async Task<bool> TryInsertUnknownAsync(NpgsqlTransaction transaction, Guid orderId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = transaction.Command(
            """
            INSERT INTO payments (order_id, status, last_error, created_at, updated_at)
            VALUES ($1, 'cancelled', 'No order was known for a charge the provider made with this key; the reconciliation sweep refunded it.', $2, $2)
            ON CONFLICT (order_id) DO NOTHING
            """, orderId, now);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Locks the order's payment row until the transaction ends, as the event handler does, and reads it.</summary>
    public static async Task<PaymentRow?> LockAsync(NpgsqlTransaction transaction, Guid orderId, CancellationToken cancellationToken)
    {
        await using var command = transaction.Command("SELECT status, refund_id FROM payments WHERE order_id = $1 FOR UPDATE", orderId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new PaymentRow(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1)) : null;
    }
}
