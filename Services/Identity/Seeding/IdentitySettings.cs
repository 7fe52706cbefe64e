using System.ComponentModel.DataAnnotations;

namespace Boxoffice.Identity.Seeding;

/// <summary>Section <c>Identity</c>: the issuer, token lifetimes, and the clients and accounts to seed.</summary>
internal sealed class IdentitySettings : IValidatableObject
{
    public const string Section = "Identity";

    /// <summary>The public URL clients reach the server at (through the gateway); the <c>iss</c> of every token.</summary>
    [Required]
    [Url]
    public string Issuer { get; set; } = "";

    /// <summary>
    /// Host names the service answers to besides the issuer's: the names other services and the
    /// platform call it by (service discovery's <c>identity</c>, <c>localhost</c> for local runs).
    /// The gateway forwards the client's own Host, so anything else is a client's invention.
    /// </summary>
    public List<string> InternalHosts { get; set; } = [];

    /// <summary>
    /// The identity service's own addresses as the platform names them (the AppHost passes its
    /// endpoints: <c>localhost:port</c> in a local run, <c>identity.internal.&lt;domain&gt;</c> on Azure
    /// Container Apps); their hosts are allowed too, so services can fetch its keys.
    /// </summary>
    public List<string> InternalUrls { get; set; } = [];

    /// <summary>False only where TLS ends before the service and no proxy says so (local runs over http).</summary>
    public bool RequireHttps { get; set; } = true;

    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(14);

    /// <summary>How long a signing key signs before the next one takes over (automatic rollover).</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "730.00:00:00")]
    public TimeSpan SigningKeyLifetime { get; set; } = TimeSpan.FromDays(90);

    /// <summary>
    /// How long a new signing key is published (JWKS) before it signs: longer than validators keep
    /// the JWKS (an hour, ServiceDefaults' Authentication), so none meets a token it cannot check.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan SigningKeyPublicationLead { get; set; } = TimeSpan.FromMinutes(65);

    /// <summary>How often each replica reloads the keys (and makes the next one when it is due).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan KeyRefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a redeemed refresh token may still be sent again before it counts as stolen (OpenIddict's default is 30 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RefreshTokenReuseLeeway { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Failed sign-ins per account (and, separately, per address) before sign-in is refused for the window.</summary>
    [Range(1, 1000)]
    public int MaxFailedSignIns { get; set; } = 5;

    public TimeSpan FailedSignInWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Accounts one client address may ask to create per <see cref="RegistrationWindow"/>: a bot
    /// farm needs an account per place it queues for. Generous for a shared address (a venue's
    /// Wi-Fi, a carrier's NAT); bots need thousands.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxRegistrationsPerAddress { get; set; } = 20;

    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan RegistrationWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Clients by client id. A client with a secret is confidential; without one it is public and must use PKCE.</summary>
    public Dictionary<string, ClientOptions> Clients { get; set; } = [];

    /// <summary>Accounts created at start if missing (an organizer, staff), with passwords from secret parameters.</summary>
    public Dictionary<string, SeedAccount> Seed { get; set; } = [];

    /// <summary>
    /// Where TLS is required, tokens must name the https address clients call: an http issuer
    /// (a deployment given its platform's http binding) would name an address no client uses.
    /// </summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (RequireHttps && Uri.TryCreate(Issuer, UriKind.Absolute, out var issuer) && issuer.Scheme != Uri.UriSchemeHttps)
        {
            yield return new ValidationResult(
                $"Identity:Issuer must be an https URL while Identity:RequireHttps is true, not '{Issuer}': give the deployment's public https address (the AppHost's public-url parameter).",
                [nameof(Issuer)]);
        }
    }
}

internal sealed class ClientOptions
{
    public string? DisplayName { get; set; }

    public string? ClientSecret { get; set; }

    public List<string> GrantTypes { get; set; } = [];

    public List<string> Scopes { get; set; } = [];

    /// <summary>Roles of a machine client (client credentials): what it acts as.</summary>
    public List<string> Roles { get; set; } = [];

    public List<string> RedirectUris { get; set; } = [];

    /// <summary>Where the end-session endpoint may send the browser after signing out (<c>post_logout_redirect_uri</c>).</summary>
    public List<string> PostLogoutRedirectUris { get; set; } = [];

    public TimeSpan? AccessTokenLifetime { get; set; }

    /// <summary>
    /// A load-test client (client credentials) that signs in a crowd of synthetic buyers: its token
    /// request names a buyer (<c>buyer=</c>), and the token's subject is <c>clientId:buyer</c>, never a
    /// real account's id. Only the AppHost's run mode configures one; never enable it in production.
    /// </summary>
    public bool ActsForBuyers { get; set; }
}

internal sealed class SeedAccount
{
    public string? Email { get; set; }

    public string? Password { get; set; }

    public List<string> Roles { get; set; } = [];

    /// <summary>
    /// Staff: what the account checks tickets in for. <c>organizer:{seed account}</c> names another
    /// seeded account (the environment's organizer), resolved to its id when seeded;
    /// <c>organizer:{id}</c> and <c>event:{id}</c> are taken as they are.
    /// </summary>
    public List<string> WorksFor { get; set; } = [];
}
