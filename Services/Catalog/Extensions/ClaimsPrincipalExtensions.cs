using System.Security.Claims;

namespace Boxoffice.Catalog;

internal static class ClaimsPrincipalExtensions
{
    /// <summary>The organizer a request acts for: the token's subject (a user, or a back-office client).</summary>
    public static string OrganizerId(this ClaimsPrincipal user) =>
        user.FindFirstValue("sub") ?? throw new InvalidOperationException("An organizer policy admitted a token without a subject.");
}
