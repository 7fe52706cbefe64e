using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Boxoffice.Storefront.Session;

/// <summary>
/// Keeps a session's access token fresh: a minute before it expires, the refresh token buys a new
/// one (and, rotated, a new refresh token). A refresh the identity server refuses (400: the refresh
/// token expired or was revoked) ends the session; the buyer signs in again. One it could not answer
/// (down, slow) leaves the session as it is, to try again at the next request.
/// </summary>
internal static class TokenRefresh
{
    private static readonly TimeSpan Ahead = TimeSpan.FromMinutes(1);

    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var time = context.HttpContext.RequestServices.GetRequiredService<TimeProvider>();
        var expiresAt = context.Properties.GetTokenValue("expires_at");
        if (expiresAt is not null && DateTimeOffset.TryParse(expiresAt, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var expires)
            && expires - Ahead > time.GetUtcNow())
        {
            return;
        }

        var refreshToken = context.Properties.GetTokenValue("refresh_token");
        var (fresh, refused) = refreshToken is null ? (null, true) : await RefreshAsync(context.HttpContext, refreshToken);
        if (fresh is null)
        {
            if (refused)
            {
                context.RejectPrincipal();
                await context.HttpContext.SignOutAsync(BuyerSessions.CookieScheme);
            }

            return;
        }

        context.Properties.UpdateTokenValue("access_token", fresh.AccessToken);
        if (fresh.RefreshToken is not null)
        {
            context.Properties.UpdateTokenValue("refresh_token", fresh.RefreshToken);
        }

        context.Properties.UpdateTokenValue("expires_at", time.GetUtcNow().AddSeconds(fresh.ExpiresIn).ToString("o", CultureInfo.InvariantCulture));
        context.ShouldRenew = true;
    }

    private sealed record Tokens(string AccessToken, string? RefreshToken, int ExpiresIn);

    /// <summary>New tokens; or none, and whether the identity server refused (rather than failed to answer).</summary>
    private static async Task<(Tokens? Fresh, bool Refused)> RefreshAsync(HttpContext http, string refreshToken)
    {
        var options = http.IdentityOptions();
        try
        {
            var configuration = await options.ConfigurationManager!.GetConfigurationAsync(http.RequestAborted);
            using var response = await options.Backchannel.PostAsync(configuration.TokenEndpoint, new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "refresh_token",
                ["refresh_token"] = refreshToken,
                ["client_id"] = options.ClientId!,
                ["client_secret"] = options.ClientSecret!,
            }), http.RequestAborted);
            if (!response.IsSuccessStatusCode)
            {
                return (null, response.StatusCode == System.Net.HttpStatusCode.BadRequest);
            }

            using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(http.RequestAborted), cancellationToken: http.RequestAborted);
            var root = body.RootElement;
            return (new Tokens(
                root.GetProperty("access_token").GetString()!,
                root.TryGetProperty("refresh_token", out var rotated) ? rotated.GetString() : null,
                root.TryGetProperty("expires_in", out var lifetime) ? lifetime.GetInt32() : 300), false);
        }
        catch (Exception failure) when (failure is HttpRequestException or JsonException or KeyNotFoundException or InvalidOperationException
            or Polly.ExecutionRejectedException or TimeoutException or TaskCanceledException)
        {
            return (null, false);
        }
    }
}
