using System.Globalization;
using System.Security.Claims;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Boxoffice.Identity.Connect;

/// <summary>
/// Rolling refresh tokens with reuse detection, kept as one row per sign-in (a <em>family</em>,
/// keyed by OpenIddict's authorization) instead of one row per refresh token. Each refresh token
/// carries its generation in <see cref="GenerationClaim"/>; only the family's current generation
/// is redeemed, for a token of the next one. The one before it is accepted again within the
/// reuse leeway (a lost answer retried, two tabs at once) and gets a token of the current
/// generation; any older one is a replay: the family is revoked, the thief's tokens and the
/// owner's alike. A refresh is one UPDATE, where OpenIddict's own rows cost a lookup, a redemption
/// and an INSERT. docs/adr/0019-refresh-token-families.md explains the choice.
/// </summary>
internal static partial class RefreshFamilies
{
    /// <summary>The generation a refresh token was issued for. It has no destination, so it stays in the refresh token, which only identity reads.</summary>
    public const string GenerationClaim = "refresh_generation";

    /// <summary>The table, made by the seeder on start (identity's schema has no migrations).</summary>
    public const string CreateTable =
        """
        CREATE TABLE IF NOT EXISTS refresh_families (
            authorization_id text PRIMARY KEY REFERENCES "OpenIddictAuthorizations" ("Id") ON DELETE CASCADE,
            generation integer NOT NULL,
            rolled_at timestamp with time zone NOT NULL,
            revoked_at timestamp with time zone)
        """;

    /// <summary>Every handler, in the order they run: redeem at the token request, stamp the new token, revoke at the revocation endpoint. <see cref="TokensWithoutRows"/> gives a family's tokens no row.</summary>
    public static IEnumerable<OpenIddictServerHandlerDescriptor> Handlers =>
        [RedeemRefreshToken.Descriptor, StampGeneration.Descriptor, RevokeFamilies.Descriptor];

    /// <summary>The generation a token's principal carries, or null for one issued without a family (before families, or not a refresh token).</summary>
    public static int? Generation(ClaimsPrincipal? principal) =>
        int.TryParse(principal?.GetClaim(GenerationClaim), NumberStyles.None, CultureInfo.InvariantCulture, out var generation) && generation > 0
            ? generation
            : null;

    /// <summary>The transaction property that carries the redeemed generation's successor from the request's validation to the new token.</summary>
    private const string NextGenerationProperty = "boxoffice:refresh_next_generation";

    /// <summary>
    /// At the token endpoint, once OpenIddict has validated the refresh token and the client that
    /// presents it: redeems the token's generation. A refused one is an invalid grant, and the
    /// family is revoked unless it was gone already.
    /// </summary>
    internal sealed partial class RedeemRefreshToken(RefreshFamilyStore families, ILogger<RedeemRefreshToken> logger)
        : IOpenIddictServerHandler<OpenIddictServerEvents.ValidateTokenRequestContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
            OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ValidateTokenRequestContext>()
                .UseScopedHandler<RedeemRefreshToken>()
                // After every check of OpenIddict's (the client's authentication, the token's
                // presenter, the scopes): a request refused for another reason burns nothing.
                .SetOrder(OpenIddictServerHandlers.Exchange.ValidateAuthorizedParty.Descriptor.Order + 100_000)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public async ValueTask HandleAsync(OpenIddictServerEvents.ValidateTokenRequestContext context)
        {
            if (!context.Request.IsRefreshTokenGrantType() || Generation(context.RefreshTokenPrincipal) is not { } presented
                || context.RefreshTokenPrincipal!.GetAuthorizationId() is not { Length: > 0 } authorizationId)
            {
                return;
            }

            var leeway = context.Options.RefreshTokenReuseLeeway ?? TimeSpan.Zero;
            if (await families.RedeemAsync(authorizationId, presented, leeway, context.CancellationToken) is { } next)
            {
                context.Transaction.Properties[NextGenerationProperty] = next;
                return;
            }

            // An older generation replayed, a revoked sign-in, or a replayed code: the family ends.
            if (await families.RevokeAsync(authorizationId, context.CancellationToken))
            {
                LogRefused(authorizationId, presented);
            }

            context.Reject(Errors.InvalidGrant, "The refresh token is no longer valid.");
        }

        [LoggerMessage(Level = LogLevel.Warning, Message = "A refresh token of authorization {AuthorizationId} (generation {Generation}) was refused: an older generation sent again after the leeway, or its sign-in or code was revoked. Its family is revoked")]
        private partial void LogRefused(string authorizationId, int generation);
    }

    /// <summary>
    /// Stamps the refresh token about to be made with its generation: the successor of the one
    /// just redeemed, or the first of a new family (a code exchange, or a refresh token from
    /// before families, which OpenIddict's own row redeemed). A family revoked meanwhile, or an
    /// authorization gone, refuses the sign-in.
    /// </summary>
    internal sealed class StampGeneration(RefreshFamilyStore families) : IOpenIddictServerHandler<OpenIddictServerEvents.ProcessSignInContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
            OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ProcessSignInContext>()
                .AddFilter<OpenIddictServerHandlerFilters.RequireRefreshTokenGenerated>()
                .UseScopedHandler<StampGeneration>()
                .SetOrder(OpenIddictServerHandlers.PrepareRefreshTokenPrincipal.Descriptor.Order + 1)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public async ValueTask HandleAsync(OpenIddictServerEvents.ProcessSignInContext context)
        {
            // Without an authorization there is no family: OpenIddict keeps a row for the token.
            if (context.RefreshTokenPrincipal?.GetAuthorizationId() is not { Length: > 0 } authorizationId)
            {
                return;
            }

            var generation = context.Transaction.Properties.TryGetValue(NextGenerationProperty, out var next) && next is int redeemed
                ? redeemed
                : await families.StartAsync(authorizationId, context.CancellationToken);
            if (generation is null)
            {
                context.Reject(Errors.InvalidGrant, "The sign-in was revoked.");
                return;
            }

            context.RefreshTokenPrincipal.SetClaim(GenerationClaim, generation.Value.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// The revocation endpoint: a family's refresh token revokes its family (RFC 7009); any other
    /// token goes to OpenIddict's own handler, which this one replaces, as before.
    /// </summary>
    internal sealed class RevokeFamilies(RefreshFamilyStore families, IOpenIddictTokenManager tokens)
        : IOpenIddictServerHandler<OpenIddictServerEvents.HandleRevocationRequestContext>
    {
        public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
            OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.HandleRevocationRequestContext>()
                .AddFilter<OpenIddictServerHandlerFilters.RequireDegradedModeDisabled>()
                .UseScopedHandler<RevokeFamilies>()
                .SetOrder(OpenIddictServerHandlers.Revocation.RevokeToken.Descriptor.Order)
                .SetType(OpenIddictServerHandlerType.Custom)
                .Build();

        public async ValueTask HandleAsync(OpenIddictServerEvents.HandleRevocationRequestContext context)
        {
            var principal = context.GenericTokenPrincipal;
            if (principal is not null && principal.HasTokenType(TokenTypeIdentifiers.RefreshToken) && Generation(principal) is not null
                && principal.GetAuthorizationId() is { Length: > 0 } authorizationId)
            {
                await families.RevokeAsync(authorizationId, context.CancellationToken);
                return;
            }

            await new OpenIddictServerHandlers.Revocation.RevokeToken(tokens).HandleAsync(context);
        }
    }
}
