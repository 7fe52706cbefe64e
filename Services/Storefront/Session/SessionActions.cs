using Microsoft.AspNetCore.Authentication;

namespace Boxoffice.Storefront.Session;

/// <summary>Signing in and out: the identity server's login page, and the end of both sessions.</summary>
internal static class SessionActions
{
    public static IEndpointRouteBuilder MapSessionActions(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/signin", SignIn).AllowAnonymous();
        routes.MapPost("/signout", SignOut).AllowAnonymous();
        return routes;
    }

    /// <summary>To the identity server's login page, then back to <paramref name="returnUrl"/> (a path on this site only).</summary>
    private static IResult SignIn(string? returnUrl) =>
        TypedResults.Challenge(new AuthenticationProperties { RedirectUri = LocalPath(returnUrl) }, [BuyerSessions.IdentityScheme]);

    /// <summary>
    /// Ends the storefront's session and the identity server's: the browser is sent to its end-session
    /// endpoint with the session's id token, so the next sign-in asks for the password again.
    /// </summary>
    private static async Task<IResult> SignOut(HttpContext context, [Microsoft.AspNetCore.Mvc.FromForm] string? returnUrl)
    {
        var signedIn = await context.AuthenticateAsync(BuyerSessions.CookieScheme);
        if (!signedIn.Succeeded)
        {
            await context.SignOutAsync(BuyerSessions.CookieScheme);
            return TypedResults.Redirect("/");
        }

        // The identity server's first, while the session still holds the id token it sends as the
        // hint; then the session itself.
        return TypedResults.SignOut(new AuthenticationProperties { RedirectUri = LocalPath(returnUrl) }, [BuyerSessions.IdentityScheme, BuyerSessions.CookieScheme]);
    }

    /// <summary>
    /// A local path to return to; anything else (another site, a protocol-relative URL, a path with a
    /// control character, which browsers drop: "/\t/evil.example" is "//evil.example") is the bill.
    /// </summary>
    public static string LocalPath(string? url) =>
        url is { Length: > 0 } && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\')) && !url.Any(char.IsControl) ? url : "/";
}
