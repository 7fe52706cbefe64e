using Boxoffice.Contracts.Booking;
using Boxoffice.Contracts.Payments;
using Boxoffice.Messaging;
using Boxoffice.Messaging.Inbox;
using Boxoffice.Messaging.Outbox;
using Boxoffice.Postgres;
using Boxoffice.Payments.Extensions;
using Boxoffice.Payments.Provider;
using Microsoft.Extensions.Options;
using Npgsql;
using Polly.CircuitBreaker;

namespace Boxoffice.Payments.Charging;

/// <summary>
/// Charges placed orders and returns the money of cancelled ones. Each order's payment row is
/// locked while the provider is called, so a charge and a cancellation of one order never cross.
/// The provider is asked with the order id as idempotency key: retried after a crash, a timeout or
/// from the retry topic, the order is charged at most once. While the provider's circuit is open
/// the order waits on the retry topic; once it can no longer be paid in time it fails. An answer
/// that is not the order's charge (<see cref="ChargeEcho"/>) fails the order and is never confirmed
/// on; if money was taken, the reconciliation sweep gives it back.
/// </summary>
internal sealed partial class OrderEventsHandler(
    ProviderClient provider, OutboxWriter outbox, IOptions<PaymentsOptions> options, TimeProvider time, ILogger<OrderEventsHandler> logger) :
    IIntegrationEventHandler<OrderPlaced>, IIntegrationEventHandler<OrderCancelled>
{
    public async Task HandleAsync(CloudEvent<OrderPlaced> message, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var order = message.Data;
        var now = time.GetUtcNow();
        var insert = Sql.Statement("""
            INSERT INTO payments (order_id, buyer_id, amount, currency, pay_by, status, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6) ON CONFLICT (order_id) DO NOTHING
            """, order.OrderId, order.BuyerId, order.Amount, order.Currency, order.PayBy.ToUniversalTime(), now);
        if ((await InsertAndLockAsync(transaction, insert, order.OrderId, cancellationToken))?.Status is not "pending")
        {
            // Cancelled before it could be charged, or settled already.
            return;
        }

        if (now >= order.PayBy)
        {
            await FailAsync(transaction, order.OrderId, "The order could not be charged before it was due.", cancellationToken);
            return;
        }

        var (outcome, charge) = await ChargeAsync(order, cancellationToken);
        if (charge is not null
            && ChargeEcho.Mismatch(charge, order.OrderId, order.Amount, order.Currency, outcome == ChargeOutcome.Succeeded ? "succeeded" : "declined") is { } mismatch)
        {
            await MismatchAsync(transaction, order.OrderId, charge.Id, mismatch, cancellationToken);
            return;
        }

        switch (outcome)
        {
            case ChargeOutcome.Succeeded:
                await SetAsync(transaction, order.OrderId, "succeeded", charge!.Id, null, cancellationToken,
                    outbox.Statements(new PaymentSucceeded(order.OrderId, charge.Id, charge.Amount, charge.Currency)).Statements);
                PaymentsMetrics.Charges.Add(1, new KeyValuePair<string, object?>("outcome", "succeeded"));
                LogCharged(order.OrderId);
                break;
            case ChargeOutcome.Declined:
                PaymentsMetrics.Charges.Add(1, new KeyValuePair<string, object?>("outcome", "declined"));
                await FailAsync(transaction, order.OrderId, "The payment was declined.", cancellationToken);
                break;
            default:
                PaymentsMetrics.Charges.Add(1, new KeyValuePair<string, object?>("outcome", "in-progress"));
                throw new RetryLaterException("The provider is still working on this charge.", TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>Asks the provider to charge the order; while it cannot answer, the order waits on the retry topic.</summary>
    private async Task<(ChargeOutcome Outcome, ProviderCharge? Charge)> ChargeAsync(OrderPlaced order, CancellationToken cancellationToken)
    {
        try
        {
            return await provider.ChargeAsync(order.OrderId, order.Amount, order.Currency, cancellationToken);
        }
        catch (BrokenCircuitException broken)
        {
            PaymentsMetrics.Charges.Add(1, new KeyValuePair<string, object?>("outcome", "circuit-open"));
            throw new RetryLaterException("The payment provider's circuit is open.", options.Value.RetryWhileBroken, broken);
        }
        catch (ProviderUnavailableException unavailable)
        {
            PaymentsMetrics.Charges.Add(1, new KeyValuePair<string, object?>("outcome", "unavailable"));
            throw new RetryLaterException(unavailable.Message, inner: unavailable);
        }
    }

    /// <summary>
    /// Whatever was taken for a cancelled order goes back. A charge Payments does not know of may
    /// still exist (an attempt that timed out, then rolled back), so unless the row says it was
    /// charged, the provider is asked.
    /// </summary>
    public async Task HandleAsync(CloudEvent<OrderCancelled> message, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var orderId = message.Data.OrderId;
        var now = time.GetUtcNow();
        var insert = Sql.Statement("INSERT INTO payments (order_id, buyer_id, status, created_at, updated_at) VALUES ($1, $2, 'pending', $3, $3) ON CONFLICT (order_id) DO NOTHING",
            orderId, message.Data.BuyerId, now);
        var payment = await InsertAndLockAsync(transaction, insert, orderId, cancellationToken);
        if (payment?.Status is "refunded" or "cancelled")
        {
            return;
        }

        ProviderCharge? charge;
        try
        {
            charge = await provider.FindChargeAsync(orderId, cancellationToken);
            if (charge is not null && ChargeEcho.Mismatch(charge, orderId, payment?.Amount, payment?.Currency) is { } mismatch)
            {
                await MismatchAsync(transaction, orderId, charge.Id, mismatch, cancellationToken);
                return;
            }

            if (charge?.Status == "processing")
            {
                throw new RetryLaterException("The provider is still working on this order's charge.", TimeSpan.FromSeconds(1));
            }

            if (charge?.Status != "succeeded")
            {
                await SetAsync(transaction, orderId, "cancelled", null, null, cancellationToken);
                return;
            }

            var refund = await provider.RefundAsync(orderId, cancellationToken);
            await PaymentStore.MarkRefundedAsync(transaction, orderId, charge.Id, refund.Id, now, cancellationToken);

            await outbox.EnqueueAsync(transaction.Connection!, transaction, new PaymentRefunded(orderId, charge.Id, refund.Id, refund.Amount, charge.Currency), cancellationToken);
            PaymentsMetrics.Refunds.Add(1);
            LogRefunded(orderId);
        }
        catch (BrokenCircuitException broken)
        {
            throw new RetryLaterException("The payment provider's circuit is open.", options.Value.RetryWhileBroken, broken);
        }
        catch (ProviderUnavailableException unavailable)
        {
            throw new RetryLaterException(unavailable.Message, inner: unavailable);
        }
    }

    /// <summary>
    /// The provider answered about another charge than the order's: record it as a failure (never
    /// a success) and say so loudly. A charge it may have made all the same is refunded by the
    /// reconciliation sweep, which finds it succeeded against a failed payment.
    /// </summary>
    private async Task MismatchAsync(NpgsqlTransaction transaction, Guid orderId, string chargeId, string mismatch, CancellationToken cancellationToken)
    {
        PaymentsMetrics.Charges.Add(1, new KeyValuePair<string, object?>("outcome", "mismatch"));
        LogMismatch(orderId, mismatch);
        await FailAsync(transaction, orderId, $"The payment provider's answer does not match the order: {mismatch}.", cancellationToken, chargeId);
    }

    private async Task FailAsync(NpgsqlTransaction transaction, Guid orderId, string reason, CancellationToken cancellationToken, string? chargeId = null)
    {
        await SetAsync(transaction, orderId, "failed", chargeId, reason, cancellationToken, outbox.Statements(new PaymentFailed(orderId, reason)).Statements);
        LogFailed(orderId, reason);
    }

    /// <summary>The payment's new status, and the outbox's statements for the event that announces it, in one round trip.</summary>
    private async Task SetAsync(
        NpgsqlTransaction transaction, Guid orderId, string status, string? chargeId, string? error, CancellationToken cancellationToken, IEnumerable<NpgsqlBatchCommand>? announce = null)
    {
        await using var batch = transaction.Batch([
            Sql.Statement("UPDATE payments SET status = $2, charge_id = coalesce($3, charge_id), last_error = $4, updated_at = $5 WHERE order_id = $1",
                orderId, status, chargeId, error, time.GetUtcNow()),
            .. announce ?? []]);
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The order's payment row made if it is new (<paramref name="insert"/>), then locked and read, in one round trip.</summary>
    private static async Task<LockedPayment?> InsertAndLockAsync(NpgsqlTransaction transaction, NpgsqlBatchCommand insert, Guid orderId, CancellationToken cancellationToken)
    {
        await using var batch = transaction.Batch(insert, Sql.Statement("SELECT status, amount, currency FROM payments WHERE order_id = $1 FOR UPDATE", orderId));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        // The INSERT returns no rows; the SELECT's are the reader's first result set.
        return await reader.ReadAsync(cancellationToken)
            ? new LockedPayment(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetDecimal(1), reader.IsDBNull(2) ? null : reader.GetString(2))
            : null;
    }

    /// <summary>An order's payment row, locked: its status, and what OrderPlaced said it costs (none when it was cancelled first).</summary>
    private sealed record LockedPayment(string Status, decimal? Amount, string? Currency);

    [LoggerMessage(Level = LogLevel.Information, Message = "Charged order {OrderId}")]
    private partial void LogCharged(Guid orderId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Payment of order {OrderId} failed: {Reason}")]
    private partial void LogFailed(Guid orderId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "The payment provider's answer for order {OrderId} is not its charge: {Mismatch}. The payment is recorded as failed")]
    private partial void LogMismatch(Guid orderId, string mismatch);

    [LoggerMessage(Level = LogLevel.Information, Message = "Refunded order {OrderId}, which was cancelled")]
    private partial void LogRefunded(Guid orderId);
}
