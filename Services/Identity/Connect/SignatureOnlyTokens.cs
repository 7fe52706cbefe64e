using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Boxoffice.Identity.Connect;

/// <summary>
/// Access and identity tokens get no row in identitydb. They are signed JWTs that every service
/// validates with the published keys and never looks up, so the row OpenIddict writes for each
/// (one INSERT per token, the largest share of a client-credentials token's database work) served
/// nothing. Authorization codes keep their rows: that is what makes a code single-use. Refresh
/// tokens have their sign-in's family row instead (<see cref="RefreshFamilies"/>, ADR 0019). See ADR 0017.
/// </summary>
internal sealed class SignatureOnlyTokens : IOpenIddictServerHandler<OpenIddictServerEvents.GenerateTokenContext>
{
    /// <summary>After the credentials are chosen, before OpenIddict's <c>CreateTokenEntry</c>.</summary>
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.GenerateTokenContext>()
            .UseSingletonHandler<SignatureOnlyTokens>()
            .SetOrder(OpenIddictServerHandlers.Protection.AttachSecurityCredentials.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(OpenIddictServerEvents.GenerateTokenContext context)
    {
        if (context.TokenType is TokenTypeIdentifiers.AccessToken or TokenTypeIdentifiers.IdentityToken && !context.IsReferenceToken)
        {
            context.CreateTokenEntry = false;
        }

        return default;
    }
}
