using OpenIddict.Abstractions;
using OpenIddict.Server;

namespace Boxoffice.Identity.Connect;

/// <summary>
/// A refresh answers with an access token and the next refresh token, not a new identity token:
/// who signed in does not change when a token is refreshed, and OpenID Connect lets the answer
/// leave it out (Core 1.0, section 12.2). That is one RSA signature less per refresh. A client
/// keeps the identity token it got at sign-in for <c>id_token_hint</c> at logout; once the key
/// that signed it is retired (refresh tokens can outlive it), logout asks the user to confirm
/// instead of ending the session at once. ADR 0019.
/// </summary>
internal sealed class NoIdentityTokenOnRefresh : IOpenIddictServerHandler<OpenIddictServerEvents.ProcessSignInContext>
{
    /// <summary>Right after OpenIddict decides which tokens to make.</summary>
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ProcessSignInContext>()
            .UseSingletonHandler<NoIdentityTokenOnRefresh>()
            .SetOrder(OpenIddictServerHandlers.EvaluateGeneratedTokens.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(OpenIddictServerEvents.ProcessSignInContext context)
    {
        if (context.EndpointType is OpenIddictServerEndpointType.Token && context.Request.IsRefreshTokenGrantType())
        {
            context.GenerateIdentityToken = false;
            context.IncludeIdentityToken = false;
        }

        return default;
    }
}
