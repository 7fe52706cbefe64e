using Boxoffice.Contracts.Payments;
using Boxoffice.Messaging;

namespace Boxoffice.Booking.Orders;

/// <summary>
/// Whether a payment result can be about the order it names. Payments learns each order, its
/// amount and currency from booking's OrderPlaced and charges exactly that, so a result for an
/// order booking does not know, or one that disagrees with the order, is not late or repeated but
/// wrong (forged, or meant for another order): it must change nothing. These rules look only at
/// what never changes on an order, not at its status, so a genuine result that comes late still
/// passes, and the status decides what it does.
/// </summary>
internal static class PaymentChecks
{
    /// <summary>A result for an order booking never placed: no genuine one exists, since Payments learns orders from booking.</summary>
    public static PaymentMismatch UnknownOrder(Guid orderId) => new($"booking knows no order {orderId}");

    /// <summary>Why the charge cannot be this order's; null when it can.</summary>
    public static PaymentMismatch? Succeeded(PaymentSucceeded payment, LockedOrder order) =>
        !SameCurrency(payment.Currency, order) ? new($"it is in {ReasonText.Quote(payment.Currency, 20)}, the order in '{order.Currency}'")
        : payment.Amount != order.Amount ? new($"it charged {payment.Amount}, the order is for {order.Amount}")
        : null;

    /// <summary>Why the refund cannot be of this order's charge; null when it can. A refund returns something, and never more than the order cost.</summary>
    public static PaymentMismatch? Refunded(PaymentRefunded refund, LockedOrder order) =>
        !SameCurrency(refund.Currency, order) ? new($"it is in {ReasonText.Quote(refund.Currency, 20)}, the order in '{order.Currency}'")
        : refund.Amount <= 0 ? new($"it refunds {refund.Amount}, which returns nothing")
        : refund.Amount > order.Amount ? new($"it refunds {refund.Amount}, more than the order's {order.Amount}")
        : null;

    // Payments passes the order's own currency to the provider, which takes only upper-case ISO 4217
    // codes: the same code comes back, spelled the same.
    private static bool SameCurrency(string? currency, LockedOrder order) => string.Equals(currency, order.Currency, StringComparison.Ordinal);
}
