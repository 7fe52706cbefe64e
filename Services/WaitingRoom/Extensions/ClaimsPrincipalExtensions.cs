using System.Security.Claims;

namespace Boxoffice.WaitingRoom;

internal static class ClaimsPrincipalExtensions
{
    /// <summary>The buyer a request acts for: the token's subject.</summary>
    public static string BuyerId(this ClaimsPrincipal user) =>
        user.FindFirstValue("sub") ?? throw new InvalidOperationException("A buyer policy admitted a token without a subject.");
}
