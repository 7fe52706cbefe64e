using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Boxoffice.Identity.Connect;

/// <summary>
/// The one place that decides which tokens get no row of their own in identitydb:
/// <list type="bullet">
/// <item>Access and identity tokens: signed JWTs that every service validates with the published
/// keys and never looks up, so the row OpenIddict writes for each (one INSERT per token, the
/// largest share of a client-credentials token's database work) served nothing. See ADR 0017.</item>
/// <item>Refresh tokens of a sign-in's family (<see cref="RefreshFamilies"/>): the family's row is
/// their reuse detection. See ADR 0019.</item>
/// </list>
/// Authorization codes keep their rows: that is what makes a code single-use.
/// </summary>
internal sealed class TokensWithoutRows : IOpenIddictServerHandler<OpenIddictServerEvents.GenerateTokenContext>
{
    /// <summary>After the credentials are chosen, before OpenIddict's <c>CreateTokenEntry</c>.</summary>
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.GenerateTokenContext>()
            .UseSingletonHandler<TokensWithoutRows>()
            .SetOrder(OpenIddictServerHandlers.Protection.AttachSecurityCredentials.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(OpenIddictServerEvents.GenerateTokenContext context)
    {
        if (!context.IsReferenceToken && context.TokenType switch
        {
            TokenTypeIdentifiers.AccessToken or TokenTypeIdentifiers.IdentityToken => true,
            TokenTypeIdentifiers.RefreshToken => RefreshFamilies.Generation(context.Principal) is not null,
            _ => false,
        })
        {
            context.CreateTokenEntry = false;
        }

        return default;
    }
}
