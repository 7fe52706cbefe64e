using Boxoffice.Identity.Account;
using Boxoffice.Identity.Connect;
using Boxoffice.Identity.Data;
using Boxoffice.Identity.Keys;
using Boxoffice.Identity.Seeding;
using Boxoffice.Postgres;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Boxoffice.Identity.Extensions;

internal static class IdentityServiceExtensions
{
    /// <summary>
    /// identitydb with the accounts, clients and keys, Redis for the sign-in throttle, the sign-in
    /// cookie, and the OpenIddict server that issues Boxoffice tokens.
    /// </summary>
    public static IHostApplicationBuilder AddIdentityServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<IdentitySettings>()
            .BindConfiguration(IdentitySettings.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        var settings = builder.Configuration.GetSection(IdentitySettings.Section).Get<IdentitySettings>() ?? new IdentitySettings();

        builder.AddNpgsqlDbContext<IdentityDb>("identitydb",
            configureSettings: settings => settings.ConnectionString = PooledConnections.Apply(settings.ConnectionString),
            configureDbContextOptions: options => options.UseOpenIddict());
        // Redis only holds failed sign-in counters, which fail open: not a readiness dependency.
        builder.AddBoxofficeRedis();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddValidation();
        // The account endpoints' JSON (registration): NUL is refused before it reaches PostgreSQL.
        builder.Services.AddNulFreeJsonText();
        builder.Services.AddAntiforgery(options =>
        {
            options.Cookie.Name = "boxoffice.antiforgery";
            options.Cookie.SecurePolicy = settings.RequireHttps ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
        });

        builder.Services.AddKeysAndAccounts();
        builder.Services.AddSignInCookie(settings);
        builder.Services.AddTokenServer(settings);
        return builder;
    }

    private static void AddKeysAndAccounts(this IServiceCollection services)
    {
        // Shared by replicas: the Data Protection key ring (cookies, antiforgery, the protected
        // token keys) lives in identitydb.
        services.AddDataProtection().SetApplicationName("boxoffice-identity").PersistKeysToDbContext<IdentityDb>();
        services.AddSingleton<TokenKeys>();
        services.AddSingleton<VerifiedClientSecrets>();
        services.AddSingleton<RememberedClients>();
        services.AddScoped<RefreshFamilyStore>();
        services.AddScoped<TokenKeyStore>();
        services.AddHostedService<TokenKeyRotation>();
        services.AddScoped<IdentitySeeder>();
        // PBKDF2-HMAC-SHA512 at OWASP's figure for it (ASP.NET Core's default is 100,000). A hash
        // made with fewer is upgraded when its owner next signs in (AccountApi.SignIn).
        services.Configure<PasswordHasherOptions>(options => options.IterationCount = PasswordHashing.Iterations);
        services.AddSingleton<IPasswordHasher<User>, PasswordHasher<User>>();
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<RegistrationThrottle>();
    }

    /// <summary>The identity server's own sign-in: a cookie set by the login page, read by the authorization endpoint.</summary>
    private static void AddSignInCookie(this IServiceCollection services, IdentitySettings settings)
    {
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(options =>
            {
                options.Cookie.Name = "boxoffice.identity";
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.Cookie.SecurePolicy = settings.RequireHttps ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
                options.LoginPath = "/account/login";
                options.ExpireTimeSpan = TimeSpan.FromHours(8);
                options.SlidingExpiration = false;
            });
        services.AddAuthorization();
    }

    /// <summary>OpenIddict: the code (with PKCE), refresh and client-credentials flows, and the Boxoffice scopes.</summary>
    private static void AddTokenServer(this IServiceCollection services, IdentitySettings settings)
    {
        services.AddOpenIddict()
            .AddCore(core =>
            {
                core.UseEntityFrameworkCore().UseDbContext<IdentityDb>();
                core.ReplaceApplicationManager<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreApplication, ApplicationManager>();
            })
            .AddServer(server =>
            {
                server.SetAuthorizationEndpointUris("connect/authorize")
                    .SetTokenEndpointUris("connect/token")
                    .SetRevocationEndpointUris("connect/revoke")
                    .SetEndSessionEndpointUris("connect/logout");
                server.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange()
                    .AllowRefreshTokenFlow()
                    .AllowClientCredentialsFlow();
                // PKCE with S256 only: the code flow enables `plain` too, whose challenge is the
                // verifier itself, so anyone who sees the authorization request could redeem the code.
                server.Configure(options =>
                {
                    options.CodeChallengeMethods.Clear();
                    options.CodeChallengeMethods.Add(CodeChallengeMethods.Sha256);
                });
                server.RegisterScopes([Scopes.OpenId, Scopes.Profile, Scopes.Email, Scopes.OfflineAccess, .. BoxofficeAuth.Scopes.All]);
                server.SetAccessTokenLifetime(settings.AccessTokenLifetime)
                    .SetRefreshTokenLifetime(settings.RefreshTokenLifetime)
                    // Refresh tokens roll: each is redeemed once for a new one. A redeemed one
                    // sent again after this leeway (a lost answer retried, two tabs at once) is
                    // taken as stolen: its sign-in's whole family is revoked, the thief's tokens
                    // and the owner's alike, and the owner signs in again (RefreshFamilies).
                    .SetRefreshTokenReuseLeeway(settings.RefreshTokenReuseLeeway);
                // Access tokens are signed JWTs that the gateway and services validate with the
                // published JWKS; they are not encrypted, so they carry nothing secret.
                server.DisableAccessTokenEncryption();
                server.AddEventHandler(TokensWithoutRows.Descriptor);
                server.AddEventHandler(RsaSignedTokens.Descriptor);
                // Refresh tokens: one row per sign-in, not per token; no new identity token (ADR 0019).
                server.RemoveEventHandler(OpenIddictServerHandlers.Revocation.RevokeToken.Descriptor);
                foreach (var handler in RefreshFamilies.Handlers)
                {
                    server.AddEventHandler(handler);
                }

                server.AddEventHandler(NoIdentityTokenOnRefresh.Descriptor);
                var aspNetCore = server.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough()
                    .EnableEndSessionEndpointPassthrough();
                if (!settings.RequireHttps)
                {
                    aspNetCore.DisableTransportSecurityRequirement();
                }
            });

        // Issuer and keys come from configuration and identitydb once the app has started.
        services.AddOptions<OpenIddictServerOptions>()
            .Configure<IOptions<IdentitySettings>, TokenKeys>((server, identity, tokenKeys) =>
            {
                server.Issuer = new Uri(identity.Value.Issuer, UriKind.Absolute);
                var keys = tokenKeys.Current;

                // Codes and refresh tokens, which only identity reads, are signed and their content
                // keys wrapped with the internal keys: OpenIddict puts symmetric credentials first,
                // so they are the ones it picks for those tokens. The JWKS leaves them out, and
                // access and identity tokens stay signed by the RSA key that signs (RsaSignedTokens).
                // The RSA keys below still validate and decrypt what they made before (ADR 0018).
                server.SigningCredentials.Add(new SigningCredentials(keys.Internal.Signing, SecurityAlgorithms.HmacSha256));
                server.EncryptionCredentials.Add(new EncryptingCredentials(keys.Internal.Encryption, SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512));

                // The first signs; the others are published in the JWKS and accepted (rollover).
                foreach (var key in keys.Signing)
                {
                    server.SigningCredentials.Add(new SigningCredentials(key, SecurityAlgorithms.RsaSha256));
                }

                server.EncryptionCredentials.Add(new EncryptingCredentials(keys.Encryption, SecurityAlgorithms.RsaOAEP, SecurityAlgorithms.Aes256CbcHmacSha512));
            });
    }

    /// <summary>Creates the schema, seeds clients and accounts, and loads the token keys, before the first request.</summary>
    public static async Task PrepareIdentityAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<IdentitySeeder>().SeedAsync(cancellationToken);
        await scope.ServiceProvider.GetRequiredService<TokenKeyStore>().LoadOrCreateAsync(cancellationToken);
    }
}
