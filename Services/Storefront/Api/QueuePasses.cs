using System.Text.Json;
using Boxoffice.Storefront.Extensions;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace Boxoffice.Storefront.Api;

/// <summary>A buyer's place in one event's queue: the signed queue ticket, and the admission once it came.</summary>
internal sealed record QueuePass(string Ticket, string? Admission = null, DateTimeOffset? AdmissionExpiresAt = null)
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

    public QueuePass? Read(HttpContext context, Guid eventId)
    {
        if (!context.Request.Cookies.TryGetValue(Name(eventId), out var value) || string.IsNullOrEmpty(value))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<QueuePass>(_protector.Unprotect(value), BoxofficeApi.Json);
        }
        catch (Exception failure) when (failure is System.Security.Cryptography.CryptographicException or JsonException or FormatException)
        {
            return null;
        }
    }

    public void Write(HttpContext context, Guid eventId, QueuePass pass) =>
        context.Response.Cookies.Append(Name(eventId), _protector.Protect(JsonSerializer.Serialize(pass, BoxofficeApi.Json)), new CookieOptions
        {
            HttpOnly = true,
            Secure = options.Value.SecureCookies,
            SameSite = SameSiteMode.Lax,
            Path = "/",
            Expires = time.GetUtcNow().AddDays(2),
            IsEssential = true,
        });

    private static string Name(Guid eventId) => $"boxoffice-queue-{eventId:N}";
}
