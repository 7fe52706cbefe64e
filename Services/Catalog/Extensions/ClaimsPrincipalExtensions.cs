using System.Security.Claims;

namespace Boxoffice.Catalog;

internal static class ClaimsPrincipalExtensions
{
    /// <summary>The organizer a request acts for: the token's subject (a user, or a back-office client).</summary>
    public static string OrganizerId(this ClaimsPrincipal user) =>
        user.FindFirstValue("sub") ?? throw new InvalidOperationException("An organizer policy admitted a token without a subject.");
}

internal static class LocationExtensions
{
    /// <summary>
    /// Where a resource created by a POST to a collection lives, relative to the request's URL, so
    /// it is right both on the catalog's own address and through the gateway's /api/catalog prefix
    /// (which the catalog never sees): POST .../venues gives "venues/{id}", resolved beside it.
    /// </summary>
    public static string CreatedLocation(this HttpRequest request, Guid id)
    {
        var path = request.Path.Value ?? "";
        return path.EndsWith('/') ? id.ToString() : $"{path[(path.LastIndexOf('/') + 1)..]}/{id}";
    }
}
