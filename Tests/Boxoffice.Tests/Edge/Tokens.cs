using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace Boxoffice.Tests.Edge;

/// <summary>Gets tokens the way clients do (OAuth2 flows through the gateway), and forges them the way attackers would.</summary>
internal static partial class Tokens
{
    public const string WebClient = "boxoffice-web";
    public const string WebRedirect = "http://localhost:5173/callback";
    public const string BackofficeClient = "organizer-backoffice";

    public static async Task<string> ClientCredentialsAsync(BoxofficeApp boxoffice, string scope)
    {
        using var gateway = boxoffice.CreateGatewayClient();
        var secret = await boxoffice.ParameterAsync("backoffice-client-secret");
        using var response = await gateway.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = BackofficeClient,
            ["client_secret"] = secret,
            ["scope"] = scope,
        }), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("access_token").GetString()!;
    }

    /// <summary>A browser's sign-in: authorize, login page, form post, back to authorize, code, token (PKCE).</summary>
    public static async Task<JsonElement> AuthorizationCodeAsync(BoxofficeApp boxoffice, string email, string password, string scope)
    {
        using var browser = Browser(boxoffice);
        return await AuthorizationCodeAsync(browser, email, password, scope);
    }

    /// <summary>The same, in <paramref name="browser"/>, which keeps the identity server's session cookie.</summary>
    public static async Task<JsonElement> AuthorizationCodeAsync(HttpClient browser, string email, string password, string scope)
    {
        var (code, verifier) = await CodeAsync(browser, email, password, scope);
        using var token = await ExchangeAsync(browser, code, verifier);
        Assert.Equal(HttpStatusCode.OK, token.StatusCode);
        return await token.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
    }

    /// <summary>Signs in through the authorization endpoint and returns the code it gives, with the PKCE verifier that redeems it.</summary>
    public static async Task<(string Code, string Verifier)> CodeAsync(HttpClient browser, string email, string password, string scope)
    {
        var verifier = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var authorize = $"/connect/authorize?client_id={WebClient}&response_type=code&redirect_uri={Uri.EscapeDataString(WebRedirect)}" +
            $"&scope={Uri.EscapeDataString(scope)}&code_challenge={challenge}&code_challenge_method=S256&state=tests";

        using var toLogin = await browser.GetAsync(authorize, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Found, toLogin.StatusCode);
        using var signedIn = await SignInAsync(browser, toLogin.Headers.Location!.PathAndQuery, email, password);
        Assert.Equal(HttpStatusCode.Found, signedIn.StatusCode);
        using var back = await browser.GetAsync(signedIn.Headers.Location!.OriginalString, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Found, back.StatusCode);
        var callback = back.Headers.Location!;
        Assert.StartsWith(WebRedirect + "?", callback.AbsoluteUri);
        return (QueryValue(callback, "code"), verifier);
    }

    /// <summary>Redeems a code at the token endpoint, as the web client.</summary>
    public static Task<HttpResponseMessage> ExchangeAsync(HttpClient client, string code, string verifier) =>
        client.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["client_id"] = WebClient,
            ["code"] = code,
            ["code_verifier"] = verifier,
            ["redirect_uri"] = WebRedirect,
        }), TestContext.Current.CancellationToken);

    /// <summary>Opens the login page (for its antiforgery token) and posts the form.</summary>
    public static async Task<HttpResponseMessage> SignInAsync(HttpClient browser, string loginUrl, string email, string password)
    {
        var page = await browser.GetStringAsync(loginUrl, TestContext.Current.CancellationToken);
        var form = new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(HiddenField(page, "__RequestVerificationToken")),
            ["returnUrl"] = WebUtility.HtmlDecode(HiddenField(page, "returnUrl")),
            ["email"] = email,
            ["password"] = password,
        };
        return await browser.PostAsync("/account/login", new FormUrlEncodedContent(form), TestContext.Current.CancellationToken);
    }

    /// <summary>An HTTP client that keeps cookies and does not follow redirects, like a browser under test.</summary>
    public static HttpClient Browser(BoxofficeApp boxoffice) =>
        new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer(), UseCookies = true })
        {
            BaseAddress = boxoffice.App.GetEndpoint("gateway", "http"),
        };

    public static async Task<string> RegisterBuyerAsync(BoxofficeApp boxoffice, string password)
    {
        var email = $"buyer-{Guid.NewGuid():N}@example.com";
        using var gateway = boxoffice.CreateGatewayClient();
        using var response = await gateway.PostAsJsonAsync("/account/register", new { email, password }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return email;
    }

    /// <summary>The issuer as the identity server announces it.</summary>
    public static async Task<string> IssuerAsync(BoxofficeApp boxoffice)
    {
        using var gateway = boxoffice.CreateGatewayClient();
        var discovery = await gateway.GetFromJsonAsync<JsonElement>("/.well-known/openid-configuration", TestContext.Current.CancellationToken);
        return discovery.GetProperty("issuer").GetString()!;
    }

    /// <summary>
    /// The identity server's signing key, read from identitydb and unprotected with the Data
    /// Protection key ring stored beside it: what an attacker holding a database copy would have,
    /// and what the tests need to forge tokens that are wrong in exactly one way.
    /// </summary>
    public static async Task<RsaSecurityKey> SigningKeyAsync(BoxofficeApp boxoffice)
    {
        var (id, pem) = await StoredKeyAsync(boxoffice, "signing");
        var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        return new RsaSecurityKey(rsa) { KeyId = id };
    }

    /// <summary>Identity's internal secret (ADR 0018), read the same way: its id and 64 bytes.</summary>
    public static async Task<(string Id, byte[] Secret)> InternalSecretAsync(BoxofficeApp boxoffice)
    {
        var (id, stored) = await StoredKeyAsync(boxoffice, "internal");
        return (id, Convert.FromBase64String(stored));
    }

    /// <summary>The newest key of <paramref name="purpose"/> in identitydb's signing_keys, unprotected.</summary>
    private static async Task<(string Id, string Unprotected)> StoredKeyAsync(BoxofficeApp boxoffice, string purpose)
    {
        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("identitydb"));
        var ring = Directory.CreateTempSubdirectory("boxoffice-dp");
        try
        {
            await using (var keys = db.CreateCommand("SELECT \"Id\", \"Xml\" FROM data_protection_keys"))
            await using (var reader = await keys.ExecuteReaderAsync(TestContext.Current.CancellationToken))
            {
                while (await reader.ReadAsync(TestContext.Current.CancellationToken))
                {
                    await File.WriteAllTextAsync(Path.Combine(ring.FullName, $"key-{reader.GetInt32(0)}.xml"), reader.GetString(1), TestContext.Current.CancellationToken);
                }
            }

            await using var command = db.CreateCommand(
                "SELECT \"Id\", \"ProtectedPrivateKey\" FROM signing_keys WHERE \"Purpose\" = $1 ORDER BY \"CreatedAt\" DESC LIMIT 1");
            command.Parameters.Add(new NpgsqlParameter { Value = purpose });
            await using var row = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
            Assert.True(await row.ReadAsync(TestContext.Current.CancellationToken), $"identitydb has no {purpose} key");
            var protector = DataProtectionProvider.Create(ring, setup => setup.SetApplicationName("boxoffice-identity"))
                .CreateProtector("Boxoffice.Identity.TokenKeys.v1");
            return (row.GetString(0), protector.Unprotect(row.GetString(1)));
        }
        finally
        {
            ring.Delete(recursive: true);
        }
    }

    public static string Mint(
        SecurityKey key, string issuer, string subject, string scope, string[] roles,
        string audience = "boxoffice-api", DateTime? expires = null, string algorithm = SecurityAlgorithms.RsaSha256, string type = "at+jwt",
        string[]? worksFor = null)
    {
        var now = DateTime.UtcNow;
        var claims = new Dictionary<string, object> { ["sub"] = subject, ["scope"] = scope, ["role"] = roles, ["client_id"] = "tests" };
        if (worksFor is { Length: > 0 })
        {
            claims["works_for"] = worksFor;
        }

        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Claims = claims,
            IssuedAt = (expires ?? now.AddMinutes(10)).AddMinutes(-15),
            NotBefore = (expires ?? now.AddMinutes(10)).AddMinutes(-15),
            Expires = expires ?? now.AddMinutes(10),
            TokenType = type,
            SigningCredentials = new SigningCredentials(key, algorithm),
        });
    }

    public static HttpRequestMessage Get(string path, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    public static IEnumerable<string> Scopes(string accessToken) =>
        new JsonWebToken(accessToken).Claims.Where(claim => claim.Type == "scope").SelectMany(claim => claim.Value.Split(' '));

    private static string HiddenField(string html, string name)
    {
        var match = Regex.Match(html, $"name=\"{Regex.Escape(name)}\" value=\"([^\"]*)\"");
        Assert.True(match.Success, $"The page has no field {name}");
        return match.Groups[1].Value;
    }

    private static string QueryValue(Uri uri, string name) =>
        uri.Query.TrimStart('?').Split('&').Select(pair => pair.Split('=', 2)).Single(pair => pair[0] == name)[1] is var value
            ? Uri.UnescapeDataString(value)
            : "";
}
