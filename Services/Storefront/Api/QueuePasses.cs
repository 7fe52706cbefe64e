using System.Text.Json;
using Boxoffice.Storefront.Extensions;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace Boxoffice.Storefront.Api;

/// <summary>A buyer's place in one event's queue: the signed queue ticket, whose it is, and the admission once it came.</summary>
internal sealed record QueuePass(string Ticket, string Buyer, string? Admission = null, DateTimeOffset? AdmissionExpiresAt = null)
{
    public bool Admitted(DateTimeOffset now) => Admission is not null && AdmissionExpiresAt > now;
}

/// <summary>
/// Keeps each queue pass in an HttpOnly cookie of its own, encrypted with the storefront's keys.
/// The waiting room designed tickets and admissions to be in the buyer's hands (they are signed and
/// bound to the buyer); the cookie keeps them there without the page's script ever seeing them.
/// </summary>
internal sealed class QueuePasses(IDataProtectionProvider protection, IOptions<StorefrontOptions> options, TimeProvider time)
{
    private readonly IDataProtector _protector = protection.CreateProtector("Boxoffice.Storefront.QueuePass");

    /// <summary>The signed-in buyer's pass for the event; none for anyone else (another account on the same browser).</summary>
    public QueuePass? Read(HttpContext context, Guid eventId)
    {
        if (!context.Request.Cookies.TryGetValue(Name(eventId), out var value) || string.IsNullOrEmpty(value))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<QueuePass>(_protector.Unprotect(value), BoxofficeApi.Json) is { } pass && pass.Buyer == BuyerOf(context.User)
                ? pass
                : null;
        }
        catch (Exception failure) when (failure is System.Security.Cryptography.CryptographicException or JsonException or FormatException)
        {
            return null;
        }
    }

    /// <summary>The admission a hold or order of the event needs, while it is valid; none otherwise.</summary>
    public string? AdmissionFor(HttpContext context, Guid eventId) =>
        Read(context, eventId) is { } pass && pass.Admitted(time.GetUtcNow()) ? pass.Admission : null;

    /// <summary>Forgets the pass (one the waiting room no longer honours), so the buyer may join again.</summary>
    public void Forget(HttpContext context, Guid eventId) => context.Response.Cookies.Delete(Name(eventId), new CookieOptions { Path = "/" });

    public static string BuyerOf(System.Security.Claims.ClaimsPrincipal user) => user.FindFirst("sub")?.Value ?? "";

    public void Write(HttpContext context, Guid eventId, QueuePass pass) =>
        context.Response.Cookies.Append(Name(eventId), _protector.Protect(JsonSerializer.Serialize(pass, BoxofficeApi.Json)), new CookieOptions
        {
            HttpOnly = true,
            Secure = options.Value.SecureCookies,
            SameSite = SameSiteMode.Lax,
            Path = "/",
            // As long as a sale's queue matters; each event's pass is a cookie of about a kilobyte.
            Expires = time.GetUtcNow().AddHours(12),
            IsEssential = true,
        });

    private static string Name(Guid eventId) => $"boxoffice-queue-{eventId:N}";
}
