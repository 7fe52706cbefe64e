using System.Globalization;

namespace Boxoffice.Storefront.Components.Pages;

/// <summary>How pages write times, money and states (invariant culture, times in UTC with their zone named).</summary>
internal static class Format
{
    public static string When(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("ddd d MMM yyyy, HH:mm 'UTC'", CultureInfo.InvariantCulture);

    public static string Clock(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string Money(decimal amount, string currency) =>
        $"{amount.ToString("N2", CultureInfo.InvariantCulture)} {currency}";

    public static string Status(string status) => status switch
    {
        "on-sale" => "On sale",
        "published" => "Sale not open yet",
        "closed" => "Sale closed",
        "cancelled" => "Cancelled",
        _ => status,
    };

    public static DateOnly? Date(string? text) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date : null;

    public static string? Clip(string? text, int length) =>
        string.IsNullOrWhiteSpace(text) ? null : text.Trim() is var trimmed && trimmed.Length > length ? trimmed[..length] : text.Trim();

    /// <summary>A fresh idempotency key for a form: posting the same form twice is one request.</summary>
    public static string FormKey() => Guid.NewGuid().ToString("N");
}
