using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Boxoffice.PaymentProvider;

/// <summary>The provider's error answers: RFC 9457 problem details of the catalogue's types (docs/problems.md).</summary>
internal static class ProviderProblems
{
    public static ProblemHttpResult InvalidApiKey() => Problems.Of(ProblemTypes.InvalidApiKey,
        title: "A valid API key is required.",
        detail: "Send the provider's API key as 'Authorization: Bearer <key>'.");

    public static ProblemHttpResult Unavailable() => Problems.Of(ProblemTypes.ProviderUnavailable,
        title: "The payment provider is unavailable.",
        detail: "Nothing was recorded or charged. Retry with the same Idempotency-Key.");

    public static ProblemHttpResult KeyReused() => Problems.Of(ProblemTypes.IdempotencyKeyReused,
        title: "The Idempotency-Key was already used for a different request.",
        detail: "A retry sends the same body as the first request; a new request needs a new key.");

    public static ProblemHttpResult ChargeInProgress() => Problems.Of(ProblemTypes.ChargeInProgress,
        title: "The charge with this Idempotency-Key is still being processed.",
        detail: "Retry with the same key, or read the charge, after the Retry-After delay.");

    public static ProblemHttpResult ChargeNotFound() => Problems.Of(ProblemTypes.ChargeNotFound,
        title: "No charge has this Idempotency-Key.");

    public static ProblemHttpResult RefundNotFound() => Problems.Of(ProblemTypes.RefundNotFound,
        title: "No refund has this Idempotency-Key.");

    public static ProblemHttpResult NotRefundable(string chargeStatus) => Problems.Of(ProblemTypes.ChargeNotRefundable,
        title: "Only a succeeded charge can be refunded.",
        detail: $"The charge is {chargeStatus}.",
        extensions: new Dictionary<string, object?> { ["chargeStatus"] = chargeStatus });

    public static ProblemHttpResult ExceedsCharge(decimal refundable) => Problems.Of(ProblemTypes.RefundExceedsCharge,
        title: "The refund exceeds what remains of the charge.",
        detail: $"At most {refundable.ToString("0.00", CultureInfo.InvariantCulture)} can still be refunded.",
        extensions: new Dictionary<string, object?> { ["refundableAmount"] = refundable });
}
