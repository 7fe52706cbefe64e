using Boxoffice.Payments.Provider;

namespace Boxoffice.Payments.Reconciliation;

/// <summary>What the sweep does about one charge.</summary>
internal enum Reconcile
{
    /// <summary>Nothing to do: the order kept it, or nothing was taken, or it was given back.</summary>
    Settled,

    /// <summary>Not settled yet (the charge is processing, the payment is pending, or no row is known yet): look again next sweep.</summary>
    Wait,

    /// <summary>The order did not keep the money: refund it.</summary>
    Refund,

    /// <summary>No order was ever known for it, long enough: record the order as cancelled, then refund it.</summary>
    RefundUnknown,

    /// <summary>Its key is not an order id: Payments did not make it, and leaves it to a person.</summary>
    NotOurs,
}

/// <summary>An order's payment row as the sweep reads it.</summary>
internal sealed record PaymentRow(string Status, string? RefundId);

/// <summary>
/// Matching a provider charge against Payments' own record of its order. Payments charges an
/// order with its id as the key, so the key finds the row; the row says whether the order kept
/// the money. Pure, so that every case is tested in milliseconds.
/// </summary>
internal static class ReconciliationRules
{
    /// <summary>The order a charge was made for: its key, when the key is an order id as Payments writes one.</summary>
    public static Guid? OrderIdOf(ProviderCharge charge) =>
        Guid.TryParseExact(charge.IdempotencyKey, "D", out var orderId) && string.Equals(orderId.ToString(), charge.IdempotencyKey, StringComparison.Ordinal)
            ? orderId
            : null;

    /// <param name="charge">The charge as the provider lists it.</param>
    /// <param name="row">Its order's payment row, or null when there is none.</param>
    /// <param name="now">The time of the sweep.</param>
    /// <param name="unknownAfter">How old a charge without a row must be to be refunded.</param>
    public static Reconcile Decide(ProviderCharge charge, PaymentRow? row, DateTimeOffset now, TimeSpan unknownAfter)
    {
        if (OrderIdOf(charge) is null)
        {
            return Reconcile.NotOurs;
        }

        if (charge.Status == "processing")
        {
            return Reconcile.Wait;
        }

        var kept = charge.Status == "succeeded" && charge.RefundedAmount < charge.Amount;
        return row switch
        {
            _ when !kept => Reconcile.Settled,
            null => now - charge.CreatedAt >= unknownAfter ? Reconcile.RefundUnknown : Reconcile.Wait,
            { Status: "pending" } => Reconcile.Wait,
            { Status: "succeeded" } => Reconcile.Settled,
            // Refunded by OrderCancelled, or by an earlier sweep, with refund-{orderId}: the same key would only replay it.
            { Status: "refunded", RefundId: not null } => Reconcile.Settled,
            // failed, cancelled, or refunded without a refund recorded.
            _ => Reconcile.Refund,
        };
    }
}
