using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Microsoft.Extensions.Hosting;

/// <summary>How services and the gateway validate Boxoffice access tokens (section <c>Authentication</c>).</summary>
public sealed class BoxofficeAuthenticationOptions
{
    public const string Section = "Authentication";

    /// <summary>The identity server's public issuer URL, exactly as in the tokens' <c>iss</c>.</summary>
    [Required]
    public string Issuer { get; set; } = "";

    /// <summary>The audience every Boxoffice API token is issued for.</summary>
    [Required]
    public string Audience { get; set; } = BoxofficeAuth.ApiAudience;

    /// <summary>
    /// Where this service fetches the discovery document and signing keys: the identity service
    /// by its internal name (service discovery), not the public issuer URL the internet sees.
    /// </summary>
    [Required]
    public string MetadataBaseAddress { get; set; } = "https+http://identity";

    /// <summary>Tolerance for clock differences when checking lifetimes.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Checks <see cref="BoxofficeAuthenticationOptions"/>' attributes, generated at build time (no reflection, so a native build keeps it).</summary>
[OptionsValidator]
internal sealed partial class BoxofficeAuthenticationOptionsValidator : IValidateOptions<BoxofficeAuthenticationOptions>;

/// <summary>Scopes, roles and authorization policies shared by the identity server, the gateway and the services.</summary>
public static class BoxofficeAuth
{
    public const string ApiAudience = "boxoffice-api";

    public static class Scopes
    {
        public const string CatalogRead = "catalog.read";
        public const string CatalogWrite = "catalog.write";
        public const string Booking = "booking";
        public const string CheckIn = "checkin";
        public const string Webhooks = "webhooks";

        /// <summary>Operating the services: list and replay dead-lettered messages and parked outbox rows.</summary>
        public const string Operations = "operations";

        public static IReadOnlyList<string> All { get; } = [CatalogRead, CatalogWrite, Booking, CheckIn, Webhooks, Operations];
    }

    public static class Roles
    {
        public const string Buyer = "buyer";
        public const string Organizer = "organizer";
        public const string Staff = "staff";

        /// <summary>Who runs the system (the <c>boxoffice-operator</c> machine client), not a customer.</summary>
        public const string Operator = "operator";

        public static IReadOnlyList<string> All { get; } = [Buyer, Organizer, Staff, Operator];
    }

    /// <summary>
    /// Claim <c>works_for</c> of a staff token: what its holder checks tickets in for, one value
    /// each: <c>organizer:{id}</c> (every event of that organizer) or <c>event:{id}</c> (one event).
    /// A staff token without one admits nothing.
    /// </summary>
    public static class WorksFor
    {
        public const string Claim = "works_for";

        public static string Organizer(string organizerId) => $"organizer:{organizerId}";

        public static string Event(Guid eventId) => $"event:{eventId}";

        /// <summary>Whether <paramref name="staff"/> works the event: named itself, or through its organizer.</summary>
        public static bool Covers(ClaimsPrincipal staff, Guid eventId, string? organizerId)
        {
            var (one, all) = (Event(eventId), organizerId is null ? null : Organizer(organizerId));
            return staff.FindAll(Claim).Any(claim => claim.Value == one || (all is not null && claim.Value == all));
        }
    }

    /// <summary>Named policies; the gateway's routes name them in <c>AuthorizationPolicy</c>.</summary>
    public static class Policies
    {
        public const string Authenticated = "authenticated";
        public const string Organizer = "organizer";
        public const string Buyer = "buyer";
        public const string Staff = "staff";
        public const string WebhooksAdmin = "webhooks";
        public const string Operator = "operator";
    }

    /// <summary>The scope each named policy needs (with the scope's role, <see cref="RequiredRole"/>); OpenAPI documents say the same.</summary>
    public static IReadOnlyDictionary<string, string> PolicyScopes { get; } = new Dictionary<string, string>
    {
        [Policies.Organizer] = Scopes.CatalogWrite,
        [Policies.Buyer] = Scopes.Booking,
        [Policies.Staff] = Scopes.CheckIn,
        [Policies.WebhooksAdmin] = Scopes.Webhooks,
        [Policies.Operator] = Scopes.Operations,
    };

    /// <summary>The role a scope needs; a token must carry both (scopes say what the client may do, roles who the user is).</summary>
    public static IReadOnlyDictionary<string, string?> RequiredRole { get; } = new Dictionary<string, string?>
    {
        [Scopes.CatalogRead] = null,
        [Scopes.CatalogWrite] = Roles.Organizer,
        [Scopes.Booking] = Roles.Buyer,
        [Scopes.CheckIn] = Roles.Staff,
        [Scopes.Webhooks] = Roles.Organizer,
        [Scopes.Operations] = Roles.Operator,
    };

    public static bool HasScope(this ClaimsPrincipal user, string scope) =>
        user.FindAll("scope").Any(claim => claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(scope, StringComparer.Ordinal));

    /// <summary>
    /// Validates Boxoffice access tokens as JWT bearer tokens: issuer, audience, lifetime, and an
    /// RS256 signature by a key from the identity server's JWKS, fetched from its internal address.
    /// Claims keep their JWT names (<c>sub</c>, <c>role</c>, <c>scope</c>).
    /// </summary>
    public static TBuilder AddBoxofficeAuthentication<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<BoxofficeAuthenticationOptions>()
            .BindConfiguration(BoxofficeAuthenticationOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<BoxofficeAuthenticationOptions>, BoxofficeAuthenticationOptionsValidator>();
        builder.Services.AddHttpClient(nameof(InternalMetadataRetriever));
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<BoxofficeAuthenticationOptions>, IHttpClientFactory>((jwt, settings, clients) =>
            {
                var auth = settings.Value;
                var issuer = auth.Issuer.TrimEnd('/');
                jwt.MapInboundClaims = false;
                jwt.TokenHandlers.Clear();
                jwt.TokenHandlers.Add(new CachingTokenHandler(TimeProvider.System) { MapInboundClaims = false });
                jwt.RequireHttpsMetadata = false; // metadata comes over the internal network
                jwt.ConfigurationManager = new ConfigurationManager<OpenIdConnectConfiguration>(
                    issuer + "/.well-known/openid-configuration",
                    new OpenIdConnectConfigurationRetriever(),
                    new InternalMetadataRetriever(clients.CreateClient(nameof(InternalMetadataRetriever)), auth.MetadataBaseAddress))
                {
                    AutomaticRefreshInterval = TimeSpan.FromHours(1),
                    RefreshInterval = TimeSpan.FromSeconds(30),
                };
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuers = [issuer, issuer + "/"],
                    ValidAudience = auth.Audience,
                    ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
                    // An access token (RFC 9068), never an identity token or another JWT the same key signed.
                    ValidTypes = ["at+jwt"],
                    RequireSignedTokens = true,
                    RequireExpirationTime = true,
                    ValidateLifetime = true,
                    ClockSkew = auth.ClockSkew,
                    NameClaimType = "sub",
                    RoleClaimType = "role",
                };
            });

        // Deny by default: an endpoint or route that names no policy requires a valid token.
        var authorization = builder.Services.AddAuthorizationBuilder();
        authorization
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(Policies.Authenticated, policy => policy.RequireAuthenticatedUser());
        foreach (var (policy, scope) in PolicyScopes)
        {
            authorization.AddPolicy(policy, rule => rule.RequireScopeAndRole(scope));
        }

        return builder;
    }

    private static AuthorizationPolicyBuilder RequireScopeAndRole(this AuthorizationPolicyBuilder policy, string scope)
    {
        policy.RequireAuthenticatedUser().RequireAssertion(context => context.User.HasScope(scope));
        return RequiredRole[scope] is { } role ? policy.RequireRole(role) : policy;
    }
}

/// <summary>
/// Reads the identity server's discovery document and JWKS from its internal address. Whatever
/// host a document names (the public issuer, or the identity service's own address when asked
/// directly), only its path is used: metadata is only ever fetched from the identity service.
/// </summary>
internal sealed class InternalMetadataRetriever(HttpClient http, string internalBase) : IDocumentRetriever
{
    public async Task<string> GetDocumentAsync(string address, CancellationToken cancel)
    {
        var path = Uri.TryCreate(address, UriKind.Absolute, out var uri)
            ? uri.PathAndQuery
            : throw new InvalidOperationException($"Token metadata address '{address}' is not an absolute URL.");
        using var response = await http.GetAsync(internalBase.TrimEnd('/') + path, cancel);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync(cancel);
    }
}
