using Microsoft.Extensions.Http.Resilience;
using Boxoffice.Storefront.Extensions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Boxoffice.Storefront.Session;

/// <summary>
/// A buyer's session, backend-for-frontend style: the storefront signs the buyer in at the identity
/// server with the authorization code flow and PKCE, as a confidential client, and keeps the tokens
/// on the server (<see cref="RedisTicketStore"/>). The browser holds one HttpOnly, SameSite=Lax
/// cookie that names the session and nothing else.
/// </summary>
internal static class BuyerSessions
{
    public const string CookieScheme = CookieAuthenticationDefaults.AuthenticationScheme;
    public const string IdentityScheme = OpenIdConnectDefaults.AuthenticationScheme;
    public const string CookieName = "boxoffice-session";

    /// <summary>What the storefront asks for: who the buyer is, their email, booking and reading the catalog, and a refresh token.</summary>
    public static readonly string[] Scopes = ["openid", "email", "offline_access", BoxofficeAuth.Scopes.Booking, BoxofficeAuth.Scopes.CatalogRead];

    public static IServiceCollection AddBuyerSessions(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection(StorefrontOptions.Section).Get<StorefrontOptions>() ?? new StorefrontOptions();
        var cookiePolicy = settings.SecureCookies ? CookieSecurePolicy.Always : CookieSecurePolicy.None;

        services.AddSingleton<RedisTicketStore>();
        services.AddTransient<IdentityBackchannel>();
        services.AddHttpClient(IdentityBackchannel.ClientName).AddHttpMessageHandler<IdentityBackchannel>();
        // A code or refresh token is redeemed once: a retry after a slow first try would look like a
        // replay (and revoke the chain); a registration retried after a slow success, like a taken email.
        services.AddOptions<Microsoft.Extensions.Http.Resilience.HttpStandardResilienceOptions>(IdentityBackchannel.ClientName + "-standard")
            .Configure(options => options.Retry.DisableForUnsafeHttpMethods());
        services.AddAntiforgery(options =>
        {
            options.Cookie.SecurePolicy = cookiePolicy;
            options.Cookie.SameSite = SameSiteMode.Strict;
        });

        services.AddAuthentication(options =>
            {
                options.DefaultScheme = CookieScheme;
                options.DefaultChallengeScheme = IdentityScheme;
            })
            .AddCookie(CookieScheme, options =>
            {
                options.Cookie.Name = CookieName;
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.Cookie.SecurePolicy = cookiePolicy;
                options.ExpireTimeSpan = settings.SessionIdleTimeout;
                options.SlidingExpiration = true;
                options.Events.OnValidatePrincipal = TokenRefresh.ValidateAsync;
            })
            .AddOpenIdConnect(IdentityScheme, options =>
            {
                options.Authority = settings.PublicUrl;
                options.RequireHttpsMetadata = settings.SecureCookies;
                options.ClientId = settings.ClientId;
                options.ClientSecret = settings.ClientSecret;
                options.ResponseType = OpenIdConnectResponseType.Code;
                // The code comes back in the query of a plain redirect: no auto-posting form, whose
                // inline script a strict Content-Security-Policy would refuse.
                options.ResponseMode = OpenIdConnectResponseMode.Query;
                options.UsePkce = true;
                options.SaveTokens = true;
                options.MapInboundClaims = false;
                options.GetClaimsFromUserInfoEndpoint = false;
                options.TokenValidationParameters.NameClaimType = "email";
                options.Scope.Clear();
                foreach (var scope in Scopes)
                {
                    options.Scope.Add(scope);
                }

                options.CorrelationCookie.SameSite = SameSiteMode.Lax;
                options.CorrelationCookie.SecurePolicy = cookiePolicy;
                options.NonceCookie.SameSite = SameSiteMode.Lax;
                options.NonceCookie.SecurePolicy = cookiePolicy;
                // Requests reach the storefront through the gateway under an internal host name; the
                // identity server must send the browser back to the public one.
                options.Events.OnRedirectToIdentityProvider = context =>
                {
                    // (The handler keeps this one for the code's redemption after the event.)
                    context.ProtocolMessage.RedirectUri = settings.Url(options.CallbackPath);
                    // The discovery document is read inside (IdentityBackchannel), and the endpoints it
                    // names are the address it was asked at; the browser goes to the same path at the
                    // public URL.
                    context.ProtocolMessage.IssuerAddress = settings.Url(new Uri(context.ProtocolMessage.IssuerAddress).AbsolutePath);
                    return Task.CompletedTask;
                };
                options.Events.OnRedirectToIdentityProviderForSignOut = context =>
                {
                    context.ProtocolMessage.PostLogoutRedirectUri = settings.Url(options.SignedOutCallbackPath);
                    context.ProtocolMessage.IssuerAddress = settings.Url(new Uri(context.ProtocolMessage.IssuerAddress).AbsolutePath);
                    return Task.CompletedTask;
                };
                options.Events.OnRemoteFailure = context =>
                {
                    // A denied or broken sign-in (a stale link, a code used twice) starts over rather than failing the page.
                    context.Response.Redirect("/signin-failed");
                    context.HandleResponse();
                    return Task.CompletedTask;
                };
            });

        services.AddOptions<CookieAuthenticationOptions>(CookieScheme)
            .Configure<RedisTicketStore>((options, store) => options.SessionStore = store);
        // Discovery, keys, code redemption and refreshes go straight to the identity service, not
        // out through the gateway's per-address sign-in limit, which every buyer would share.
        services.AddOptions<OpenIdConnectOptions>(IdentityScheme)
            .Configure<IHttpClientFactory>((options, clients) => options.Backchannel = clients.CreateClient(IdentityBackchannel.ClientName));
        services.AddAuthorization();
        return services;
    }

    public static OpenIdConnectOptions IdentityOptions(this HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get(IdentityScheme);
}
