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
/// not one to rely on. The signing key is the one <see cref="TokenKeyStore"/> chose: the newest
/// already active. See ADR 0018.
/// </summary>
internal sealed class RsaSignedTokens(TokenKeys keys) : IOpenIddictServerHandler<OpenIddictServerEvents.GenerateTokenContext>
{
    private volatile SigningCredentials? _signer;

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
            // From the keys as loaded, not from OpenIddict's options, which are rebuilt a moment
            // after a reload: a key whose row was deleted (retired after a leak) never signs again.
            var key = keys.Signing[0];
            var signer = _signer;
            if (signer is null || !ReferenceEquals(signer.Key, key))
            {
                _signer = signer = new SigningCredentials(key, SecurityAlgorithms.RsaSha256);
            }

            context.SigningCredentials = signer;
        }

        return default;
    }
}
