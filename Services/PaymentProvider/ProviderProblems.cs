using Microsoft.AspNetCore.Http.HttpResults;

namespace Boxoffice.PaymentProvider;

/// <summary>The provider's error answers: RFC 9457 problem details, each kind with its own type URI.</summary>
internal static class ProviderProblems
{
    private const string TypeBase = "https://boxoffice.dev/problems/";

    public static ProblemHttpResult InvalidApiKey() => TypedResults.Problem(
        statusCode: StatusCodes.Status401Unauthorized,
        title: "A valid API key is required.",
        detail: "Send the provider's API key as 'Authorization: Bearer <key>'.",
        type: TypeBase + "invalid-api-key");

    public static ProblemHttpResult Unavailable() => TypedResults.Problem(
        statusCode: StatusCodes.Status503ServiceUnavailable,
        title: "The payment provider is unavailable.",
        detail: "Nothing was recorded or charged. Retry with the same Idempotency-Key.",
        type: TypeBase + "provider-unavailable");

    public static ProblemHttpResult KeyReused() => TypedResults.Problem(
        statusCode: StatusCodes.Status422UnprocessableEntity,
        title: "The Idempotency-Key was already used for a different request.",
        detail: "A retry sends the same body as the first request; a new request needs a new key.",
        type: TypeBase + "idempotency-key-reused");

    public static ProblemHttpResult ChargeInProgress() => TypedResults.Problem(
        statusCode: StatusCodes.Status409Conflict,
        title: "The charge with this Idempotency-Key is still being processed.",
        detail: "Retry with the same key, or read the charge, after the Retry-After delay.",
        type: TypeBase + "charge-in-progress");

    public static ProblemHttpResult ChargeNotFound() => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound,
        title: "No charge has this Idempotency-Key.",
        type: TypeBase + "charge-not-found");

    public static ProblemHttpResult RefundNotFound() => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound,
        title: "No refund has this Idempotency-Key.",
        type: TypeBase + "refund-not-found");

    public static ProblemHttpResult NotRefundable(string chargeStatus) => TypedResults.Problem(
        statusCode: StatusCodes.Status409Conflict,
        title: "Only a succeeded charge can be refunded.",
        detail: $"The charge is {chargeStatus}.",
        type: TypeBase + "charge-not-refundable",
        extensions: new Dictionary<string, object?> { ["chargeStatus"] = chargeStatus });

    public static ProblemHttpResult ExceedsCharge(decimal refundable) => TypedResults.Problem(
        statusCode: StatusCodes.Status409Conflict,
        title: "The refund exceeds what remains of the charge.",
        detail: $"At most {refundable.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)} can still be refunded.",
        type: TypeBase + "refund-exceeds-charge",
        extensions: new Dictionary<string, object?> { ["refundableAmount"] = refundable });
}
