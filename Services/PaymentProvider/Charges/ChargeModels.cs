using System.Buffers;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Boxoffice.PaymentProvider.Charges;

/// <summary>Charge <see cref="Amount"/> in <see cref="Currency"/> for the caller's <see cref="Reference"/> (an order id).</summary>
/// <remarks>Request types are public: .NET's validation generator skips attributes on non-public types.</remarks>
public sealed record ChargeRequest(
    [Required, Range(0.01, PaymentRules.MaxAmount)] decimal? Amount,
    [Required, RegularExpression("^[A-Z]{3}$", ErrorMessage = "The currency is an ISO 4217 code such as EUR.")] string Currency,
    [Required, StringLength(100, MinimumLength = 1)] string Reference);

/// <summary>Give back <see cref="Amount"/> of a succeeded charge; without an amount, all that is left of it.</summary>
public sealed record RefundRequest(
    [Required, RegularExpression(PaymentRules.KeyPattern, ErrorMessage = PaymentRules.KeyRule)] string ChargeKey,
    [Range(0.01, PaymentRules.MaxAmount)] decimal? Amount);

internal static class ChargeStatus
{
    public const string Processing = "processing";
    public const string Succeeded = "succeeded";
    public const string Declined = "declined";
}

internal sealed record Charge(
    Guid Id,
    string IdempotencyKey,
    decimal Amount,
    string Currency,
    string Reference,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? CompletedAt,
    decimal RefundedAmount);

/// <summary>
/// A charge as stored, with the hash of the request that made it and when it is due to complete
/// (neither is sent back).
/// </summary>
internal sealed record StoredCharge(Charge Charge, byte[] RequestHash, DateTimeOffset CompletesAt)
{
    /// <summary>Still processing, though its time has come: its process died or its completion failed. Whoever reads it completes it.</summary>
    public bool IsDue(DateTimeOffset now) => Charge.Status == ChargeStatus.Processing && CompletesAt <= now;
}

internal sealed record Refund(Guid Id, string IdempotencyKey, Guid ChargeId, string ChargeKey, decimal Amount, DateTimeOffset CreatedAt);

internal sealed record StoredRefund(Refund Refund, byte[] RequestHash);

/// <summary>
/// The rules the attributes cannot state, and the request hashes. A retry is recognised by its
/// Idempotency-Key and must carry the same request: the hash of a canonical form of the body
/// tells, whatever the JSON's spacing, field order or number spelling (45.5 and 45.50 are one amount).
/// </summary>
internal static class PaymentRules
{
    public const double MaxAmount = 1_000_000;
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const string KeyPattern = "^[\\x20-\\x7E]{1,100}$";
    public const string KeyRule = "A key is 1 to 100 printable ASCII characters.";

    /// <summary>The request's Idempotency-Key, or null when it is absent, repeated or malformed.</summary>
    public static string? IdempotencyKey(HttpRequest request) =>
        request.Headers[IdempotencyKeyHeader] is [{ Length: >= 1 and <= 100 } key] && key.All(c => c is >= ' ' and <= '~')
            ? key
            : null;

    public static Dictionary<string, string[]> Check(ChargeRequest request, string? idempotencyKey)
    {
        var errors = KeyErrors(idempotencyKey);
        if (request.Amount is { } amount && amount != decimal.Round(amount, 2))
        {
            errors["amount"] = ["An amount has at most two decimals."];
        }

        if (!IsStorable(request.Reference))
        {
            errors["reference"] = ["The reference holds a control character or an invalid surrogate."];
        }

        return errors;
    }

    public static Dictionary<string, string[]> Check(RefundRequest request, string? idempotencyKey)
    {
        var errors = KeyErrors(idempotencyKey);
        if (request.Amount is { } amount && amount != decimal.Round(amount, 2))
        {
            errors["amount"] = ["An amount has at most two decimals."];
        }

        return errors;
    }

    public static byte[] Hash(ChargeRequest request) =>
        // Only the last field is free text, so a newline cannot make two requests look alike.
        Hash($"{Money(request.Amount!.Value)}\n{request.Currency}\n{request.Reference}");

    public static byte[] Hash(RefundRequest request) =>
        // "remaining" is not a number: leaving the amount out is a request of its own.
        Hash($"{request.ChargeKey}\n{(request.Amount is { } amount ? Money(amount) : "remaining")}");

    private static string Money(decimal amount) => amount.ToString("0.00", CultureInfo.InvariantCulture);

    private static byte[] Hash(string canonical) => SHA256.HashData(Encoding.UTF8.GetBytes(canonical));

    private static Dictionary<string, string[]> KeyErrors(string? idempotencyKey)
    {
        var errors = new Dictionary<string, string[]>();
        if (idempotencyKey is null)
        {
            errors[IdempotencyKeyHeader] = [$"The {IdempotencyKeyHeader} header is required, once. {KeyRule}"];
        }

        return errors;
    }

    /// <summary>PostgreSQL stores no NUL and no lone surrogate; control characters have no place in a reference.</summary>
    private static bool IsStorable(string text)
    {
        for (var rest = text.AsSpan(); !rest.IsEmpty;)
        {
            if (Rune.DecodeFromUtf16(rest, out var rune, out var consumed) != OperationStatus.Done || Rune.IsControl(rune))
            {
                return false;
            }

            rest = rest[consumed..];
        }

        return true;
    }
}
