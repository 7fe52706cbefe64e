using System.Security.Claims;
using Boxoffice.Identity.Data;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Boxoffice.Identity.Connect;

/// <summary>Builds the identity a token is issued for: who, which roles, which of the requested scopes.</summary>
internal static class ClaimsFactory
{
    private static readonly string[] IdentityScopes = [Scopes.OpenId, Scopes.Profile, Scopes.Email, Scopes.OfflineAccess];

    public static ClaimsPrincipal ForUser(User user, IEnumerable<string> requestedScopes) =>
        Build(user.Id.ToString(), user.Email, user.Roles, requestedScopes, user.WorksFor);

    public static ClaimsPrincipal ForClient(string clientId, IReadOnlyCollection<string> roles, IEnumerable<string> requestedScopes) =>
        Build(clientId, email: null, roles, requestedScopes, worksFor: []);

    /// <summary>
    /// The granted scopes are the requested ones the subject's roles allow: a buyer asking for
    /// catalog.write gets a token without it (the token response lists what was granted).
    /// </summary>
    public static IEnumerable<string> Grantable(IEnumerable<string> requested, IReadOnlyCollection<string> roles) =>
        requested.Where(scope => IdentityScopes.Contains(scope)
            || (BoxofficeAuth.RequiredRole.TryGetValue(scope, out var role) && (role is null || roles.Contains(role))));

    private static ClaimsPrincipal Build(string subject, string? email, IReadOnlyCollection<string> roles, IEnumerable<string> requestedScopes, IReadOnlyCollection<string> worksFor)
    {
        var identity = new ClaimsIdentity(authenticationType: "Boxoffice", nameType: Claims.Subject, roleType: Claims.Role);
        identity.SetClaim(Claims.Subject, subject);
        if (email is not null)
        {
            identity.SetClaim(Claims.Email, email);
        }

        identity.SetClaims(Claims.Role, [.. roles]);
        var scopes = Grantable(requestedScopes, roles).ToArray();
        identity.SetScopes(scopes);
        if (scopes.Contains(BoxofficeAuth.Scopes.CheckIn))
        {
            // What a check-in token admits: booking refuses tickets of any other event.
            identity.SetClaims(BoxofficeAuth.WorksFor.Claim, [.. worksFor]);
        }

        identity.SetResources(BoxofficeAuth.ApiAudience);
        // The email address leaves the server only when the client asked for it (scope email).
        identity.SetDestinations(claim => claim.Type switch
        {
            Claims.Email => scopes.Contains(Scopes.Email) ? [Destinations.AccessToken, Destinations.IdentityToken] : [],
            Claims.Role when scopes.Contains(Scopes.Profile) => [Destinations.AccessToken, Destinations.IdentityToken],
            _ => [Destinations.AccessToken],
        });
        return new ClaimsPrincipal(identity);
    }
}
