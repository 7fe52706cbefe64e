using Boxoffice.Postgres;
using Npgsql;

namespace Boxoffice.Payments.Charging;

/// <summary>Statements on <c>payments</c> that the event handler and the reconciliation sweep both make.</summary>
internal static class PaymentStore
{
    /// <summary>The money is back: the row says so, with the charge and the refund. A failure's reason (last_error) is kept.</summary>
    public static async Task MarkRefundedAsync(NpgsqlTransaction transaction, Guid orderId, string chargeId, string refundId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = transaction.Command(
            "UPDATE payments SET status = 'refunded', charge_id = $2, refund_id = $3, updated_at = $4 WHERE order_id = $1", orderId, chargeId, refundId, now);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
