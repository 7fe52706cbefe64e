using Boxoffice.Identity.Keys;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Boxoffice.Identity.Connect;

/// <summary>
/// Access and identity tokens, which others validate with the published keys, are signed by the
/// RSA key that signs now (<see cref="TokenKeys.Signing"/>' first), never by the internal HMAC
/// key nor by a key still waiting to sign. OpenIddict would take its first credentials for access
/// tokens and its first asymmetric ones for identity tokens; it sorts its credentials with the
/// symmetric ones first, and that sort is not stable, so the order the RSA keys were added in is
/// not one to rely on. See ADR 0018.
/// </summary>
internal sealed class RsaSignedTokens(TokenKeys keys) : IOpenIddictServerHandler<OpenIddictServerEvents.GenerateTokenContext>
{
    /// <summary>After OpenIddict chooses the credentials, before the token is made.</summary>
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.GenerateTokenContext>()
            .UseSingletonHandler<RsaSignedTokens>()
            .SetOrder(OpenIddictServerHandlers.Protection.AttachSecurityCredentials.Descriptor.Order + 2)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(OpenIddictServerEvents.GenerateTokenContext context)
    {
        if (context.TokenType is TokenTypeIdentifiers.AccessToken or TokenTypeIdentifiers.IdentityToken)
        {
            var signer = keys.Signing[0].KeyId;
            // The keys reload before OpenIddict's options are rebuilt: for that moment the options
            // may not hold the new signer yet, and the first RSA key they hold signs as before.
            context.SigningCredentials = context.Options.SigningCredentials.FirstOrDefault(credentials => credentials.Key is AsymmetricSecurityKey && credentials.Key.KeyId == signer)
                ?? context.Options.SigningCredentials.First(credentials => credentials.Key is AsymmetricSecurityKey);
        }

        return default;
    }
}
