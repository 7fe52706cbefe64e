using Boxoffice.Messaging;

namespace Boxoffice.Payments.Provider;

/// <summary>
/// Whether the provider's answer is the charge Payments asked about. Payments charges an order with
/// the order id as both the Idempotency-Key and the reference, for the order's amount and
/// currency, and the provider echoes all four. An answer that does not (a bug, a proxy's mix-up, a
/// provider that charged something else) is not a success, whatever its status says: the order is
/// never confirmed on it.
/// </summary>
internal static class ChargeEcho
{
    /// <summary>
    /// Why <paramref name="charge"/> is not the order's charge, or null when it is. The amount and
    /// currency are checked when given (an order cancelled before Payments saw it has neither),
    /// and so is the status the answer claims by its HTTP status.
    /// </summary>
    public static string? Mismatch(ProviderCharge charge, Guid orderId, decimal? amount = null, string? currency = null, string? status = null)
    {
        var key = orderId.ToString();
        return !string.Equals(charge.IdempotencyKey, key, StringComparison.Ordinal) ? $"it is the charge with key {ReasonText.Quote(charge.IdempotencyKey, 40)}, not {key}"
            : !string.Equals(charge.Reference, key, StringComparison.Ordinal) ? $"its reference is {ReasonText.Quote(charge.Reference, 40)}, not {key}"
            : currency is not null && !string.Equals(charge.Currency, currency, StringComparison.Ordinal) ? $"it is in {ReasonText.Quote(charge.Currency, 40)}, the order in '{currency}'"
            : amount is { } expected && charge.Amount != expected ? $"it is for {charge.Amount}, the order for {expected}"
            : status is not null && !string.Equals(charge.Status, status, StringComparison.Ordinal) ? $"its status is {ReasonText.Quote(charge.Status, 40)}, the answer said {status}"
            : null;
    }
}
