using Boxoffice.Identity.Account;
using Boxoffice.Identity.Data;
using Boxoffice.Identity.Keys;
using Boxoffice.Identity.Seeding;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Boxoffice.Identity.Extensions;

internal static class IdentityServiceExtensions
{
    public static IHostApplicationBuilder AddIdentityServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<IdentitySettings>()
            .BindConfiguration(IdentitySettings.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        var settings = builder.Configuration.GetSection(IdentitySettings.Section).Get<IdentitySettings>() ?? new IdentitySettings();

        builder.AddNpgsqlDbContext<IdentityDb>("identitydb", configureDbContextOptions: options => options.UseOpenIddict());
        // Redis only holds failed sign-in counters, which fail open: not a readiness dependency.
        builder.AddRedisClient("redis", settings => settings.DisableHealthChecks = true, options => options.BacklogPolicy = StackExchange.Redis.BacklogPolicy.FailFast);
        builder.Services.ResolveAtStart<StackExchange.Redis.IConnectionMultiplexer>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddValidation();
        builder.Services.AddAntiforgery(options =>
        {
            options.Cookie.Name = "boxoffice.antiforgery";
            options.Cookie.SecurePolicy = settings.RequireHttps ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
        });

        // Shared by replicas: the Data Protection key ring (cookies, antiforgery, the protected
        // token keys) lives in identitydb.
        builder.Services.AddDataProtection().SetApplicationName("boxoffice-identity").PersistKeysToDbContext<IdentityDb>();
        builder.Services.AddSingleton<TokenKeys>();
        builder.Services.AddScoped<TokenKeyStore>();
        builder.Services.AddScoped<IdentitySeeder>();
        builder.Services.AddSingleton<IPasswordHasher<User>, PasswordHasher<User>>();
        builder.Services.AddSingleton<SignInThrottle>();

        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
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
        builder.Services.AddAuthorization();

        builder.Services.AddOpenIddict()
            .AddCore(core => core.UseEntityFrameworkCore().UseDbContext<IdentityDb>())
            .AddServer(server =>
            {
                server.SetAuthorizationEndpointUris("connect/authorize")
                    .SetTokenEndpointUris("connect/token");
                server.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange()
                    .AllowRefreshTokenFlow()
                    .AllowClientCredentialsFlow();
                server.RegisterScopes([Scopes.OpenId, Scopes.Profile, Scopes.Email, Scopes.OfflineAccess, .. BoxofficeAuth.Scopes.All]);
                server.SetAccessTokenLifetime(settings.AccessTokenLifetime)
                    .SetRefreshTokenLifetime(settings.RefreshTokenLifetime);
                // Access tokens are signed JWTs that the gateway and services validate with the
                // published JWKS; they are not encrypted, so they carry nothing secret.
                server.DisableAccessTokenEncryption();
                var aspNetCore = server.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough();
                if (!settings.RequireHttps)
                {
                    aspNetCore.DisableTransportSecurityRequirement();
                }
            });

        // Issuer and keys come from configuration and identitydb once the app has started.
        builder.Services.AddOptions<OpenIddictServerOptions>()
            .Configure<IOptions<IdentitySettings>, TokenKeys>((server, identity, keys) =>
            {
                server.Issuer = new Uri(identity.Value.Issuer, UriKind.Absolute);
                server.SigningCredentials.Add(new SigningCredentials(keys.Signing, SecurityAlgorithms.RsaSha256));
                server.EncryptionCredentials.Add(new EncryptingCredentials(keys.Encryption, SecurityAlgorithms.RsaOAEP, SecurityAlgorithms.Aes256CbcHmacSha512));
            });

        // Behind the gateway: the client address is the gateway's X-Forwarded-For (one hop).
        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            options.ForwardLimit = 1;
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
        });
        return builder;
    }

    /// <summary>Creates the schema, seeds clients and accounts, and loads the token keys, before the first request.</summary>
    public static async Task PrepareIdentityAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<IdentitySeeder>().SeedAsync(cancellationToken);
        await scope.ServiceProvider.GetRequiredService<TokenKeyStore>().LoadOrCreateAsync(cancellationToken);
    }
}
