using System.Text.Json;
using Boxoffice.Identity.Data;
using Boxoffice.Identity.Extensions;
using Boxoffice.Identity.Seeding;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Boxoffice.Identity.Connect;

/// <summary>
/// The OAuth2 endpoints whose decisions are ours (OpenIddict validates the protocol first):
/// who the user is at the authorization endpoint, and what a token is issued for at the token endpoint.
/// </summary>
internal static class ConnectApi
{
    public static IEndpointRouteBuilder MapConnectApi(this IEndpointRouteBuilder routes)
    {
        routes.MapMethods("/connect/authorize", [HttpMethods.Get, HttpMethods.Post], Authorize).ExcludeFromDescription();
        routes.MapPost("/connect/token", CountedToken).ExcludeFromDescription().DisableAntiforgery();
        routes.MapMethods("/connect/logout", [HttpMethods.Get, HttpMethods.Post], EndSession).ExcludeFromDescription().DisableAntiforgery();
        return routes;
    }

    /// <summary>
    /// RP-initiated logout: ends the identity server's own session (its cookie) and tells the
    /// browser to drop this site's cookies and storage (<c>Clear-Site-Data</c>). OpenIddict has
    /// checked the request first: a <c>post_logout_redirect_uri</c> must be one the client
    /// registered, and the browser goes there; without one, to the sign-in page. Access tokens
    /// already issued stay valid until they expire (they are checked by signature, not looked
    /// up); a client revokes its refresh token at <c>/connect/revoke</c>.
    /// A session is ended at once only when the request proves it comes from the user's client
    /// (an <c>id_token_hint</c> of the signed-in user) or the user confirms on the page it gets
    /// otherwise (a post with the antiforgery token): a link on another site ends nothing.
    /// </summary>
    private static async Task<IResult> EndSession(HttpContext http, IAntiforgery antiforgery, IOptions<IdentitySettings> settings)
    {
        var session = await http.AuthenticateAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        var user = session.Succeeded ? session.Principal?.FindFirst(Claims.Subject)?.Value : null;
        if (user is not null && !await ProvenAsync(http, antiforgery, user))
        {
            var tokens = antiforgery.GetAndStoreTokens(http);
            var request = http.GetOpenIddictServerRequest()!.GetParameters()
                .Where(parameter => parameter.Key != LogoutPage.ConfirmField && parameter.Key != tokens.FormFieldName)
                .Select(parameter => KeyValuePair.Create(parameter.Key, parameter.Value.ToString() ?? ""));
            var clients = settings.Value.Clients.Values;
            http.Response.Headers.ContentSecurityPolicy = Account.LoginPage.ContentSecurityPolicy(clients.SelectMany(client => client.PostLogoutRedirectUris));
            http.Response.Headers.CacheControl = "no-store";
            return TypedResults.Content(LogoutPage.Render(tokens.FormFieldName, tokens.RequestToken!, request), "text/html; charset=utf-8");
        }

        await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        http.Response.Headers["Clear-Site-Data"] = "\"cookies\", \"storage\"";
        http.Response.Headers.CacheControl = "no-store";
        return Results.SignOut(new AuthenticationProperties { RedirectUri = "/account/login" }, [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
    }

    /// <summary>The user confirmed on the logout page, or the client named them with an identity token.</summary>
    private static async Task<bool> ProvenAsync(HttpContext http, IAntiforgery antiforgery, string user)
    {
        if (HttpMethods.IsPost(http.Request.Method) && http.Request.HasFormContentType)
        {
            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            if (form[LogoutPage.ConfirmField] == "yes" && await antiforgery.IsRequestValidAsync(http))
            {
                return true;
            }
        }

        // OpenIddict validated the id_token_hint (its signature, issuer; expiry is not required of a hint).
        var hint = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        return hint.Succeeded && hint.Principal?.FindFirst(Claims.Subject)?.Value == user;
    }

    /// <summary>Signed in (cookie): issue the code for that user. Not signed in: go to the login page and come back.</summary>
    private static async Task<IResult> Authorize(HttpContext http, IdentityDb db, CancellationToken cancellationToken)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        var signedIn = await http.AuthenticateAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        var user = signedIn.Succeeded && Guid.TryParse(signedIn.Principal?.FindFirst(Claims.Subject)?.Value, out var id)
            ? await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == id, cancellationToken)
            : null;

        if (user is null || request.HasPromptValue(PromptValues.Login))
        {
            if (request.HasPromptValue(PromptValues.None))
            {
                return Forbid(Errors.LoginRequired, "The user is not signed in.");
            }

            var parameters = request.GetParameters()
                .Where(parameter => parameter.Key != Parameters.Prompt)
                .Select(parameter => KeyValuePair.Create(parameter.Key, (string?)parameter.Value.ToString()));
            return Results.Challenge(
                new AuthenticationProperties { RedirectUri = http.Request.PathBase + http.Request.Path + QueryString.Create(parameters) },
                [CookieAuthenticationDefaults.AuthenticationScheme]);
        }

        return Results.SignIn(ClaimsFactory.ForUser(user, request.GetScopes()), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static async Task<IResult> CountedToken(HttpContext http, IdentityDb db, IOpenIddictApplicationManager applications, CancellationToken cancellationToken) =>
        IdentityMetrics.Token(http.GetOpenIddictServerRequest()?.GrantType, await Token(http, db, applications, cancellationToken));

    private static async Task<IResult> Token(HttpContext http, IdentityDb db, IOpenIddictApplicationManager applications, CancellationToken cancellationToken)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        if (request.IsClientCredentialsGrantType())
        {
            return await ClientTokenAsync(request, applications, cancellationToken);
        }

        if (request.IsAuthorizationCodeGrantType() || request.IsRefreshTokenGrantType())
        {
            // The code or refresh token was validated by OpenIddict; the user must still exist, and
            // a refreshed token reflects the user's current roles.
            var granted = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            var user = Guid.TryParse(granted.Principal?.GetClaim(Claims.Subject), out var id)
                ? await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == id, cancellationToken)
                : null;
            if (user is null)
            {
                return Forbid(Errors.InvalidGrant, "The user no longer exists.");
            }

            return Results.SignIn(ClaimsFactory.ForUser(user, granted.Principal!.GetScopes()), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }

        return Forbid(Errors.UnsupportedGrantType, "The grant type is not supported.");
    }

    /// <summary>
    /// A machine client's own identity; or, for a load-test client allowed to act for buyers, the
    /// synthetic buyer its request names (<c>buyer=</c>), as subject <c>clientId:buyer</c>.
    /// </summary>
    private static async Task<IResult> ClientTokenAsync(OpenIddictRequest request, IOpenIddictApplicationManager applications, CancellationToken cancellationToken)
    {
        var application = await applications.FindByClientIdAsync(request.ClientId!, cancellationToken)
            ?? throw new InvalidOperationException("OpenIddict authenticated an unknown client.");
        var properties = await applications.GetPropertiesAsync(application, cancellationToken);
        string[] roles = properties.TryGetValue(IdentitySeeder.RolesProperty, out var value) && value.ValueKind == JsonValueKind.Array
            ? [.. value.EnumerateArray().Select(role => role.GetString()!)]
            : [];
        var buyer = (string?)request.GetParameter(BuyerParameter);
        if (buyer is null)
        {
            return Results.SignIn(ClaimsFactory.ForClient(request.ClientId!, roles, request.GetScopes()), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }

        if (!properties.TryGetValue(IdentitySeeder.ActsForBuyersProperty, out var acts) || acts.ValueKind != JsonValueKind.True)
        {
            return Forbid(Errors.InvalidRequest, "This client cannot act for a buyer.");
        }

        if (!SyntheticBuyer.IsMatch(buyer))
        {
            return Forbid(Errors.InvalidRequest, "The buyer must be 1-64 letters, digits, '-' or '_'.");
        }

        return Results.SignIn(ClaimsFactory.ForClient($"{request.ClientId}:{buyer}", [BoxofficeAuth.Roles.Buyer], request.GetScopes()), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private const string BuyerParameter = "buyer";

    private static readonly System.Text.RegularExpressions.Regex SyntheticBuyer = new("^[A-Za-z0-9_-]{1,64}$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    private static IResult Forbid(string error, string description) => Results.Forbid(
        new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }),
        [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
}
