using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Boxoffice.Tests.Edge;

/// <summary>
/// The gateway accepts an access token only if everything about it is right: issuer, audience,
/// lifetime, RS256 signature by the identity server's key, and the scope and role the route needs.
/// Each forged token below is right in every way but one, and a control proves the rest is right.
/// </summary>
[Collection<RunningApp>]
public sealed class TokenValidationTests(BoxofficeApp boxoffice)
{
    private const string OrganizerRoute = "/api/catalog/organizer/events";

    [Fact]
    public async Task An_organizers_machine_client_reaches_organizer_routes_with_its_token()
    {
        var token = await Tokens.ClientCredentialsAsync(boxoffice, "catalog.read catalog.write");

        var status = await SendAsync(token);

        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task A_forged_token_that_is_right_in_every_way_is_accepted_so_each_defect_below_is_the_reason_for_its_401()
    {
        var key = await Tokens.SigningKeyAsync(boxoffice);
        var token = Tokens.Mint(key, await Tokens.IssuerAsync(boxoffice), Subject(), "catalog.write", ["organizer"]);

        Assert.Equal(HttpStatusCode.OK, await SendAsync(token));
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("expired")]
    [InlineData("signed-by-another-key")]
    [InlineData("alg-none")]
    [InlineData("wrong-audience")]
    [InlineData("wrong-issuer")]
    [InlineData("tampered-payload")]
    [InlineData("not-a-jwt")]
    [InlineData("not-an-access-token")]
    public async Task A_token_wrong_in_one_way_gets_401_problem_and_is_never_logged(string defect)
    {
        var key = await Tokens.SigningKeyAsync(boxoffice);
        var issuer = await Tokens.IssuerAsync(boxoffice);
        string Valid() => Tokens.Mint(key, issuer, Subject(), "catalog.write", ["organizer"]);
        var token = defect switch
        {
            "missing" => null,
            "expired" => Tokens.Mint(key, issuer, Subject(), "catalog.write", ["organizer"], expires: DateTime.UtcNow.AddMinutes(-5)),
            "signed-by-another-key" => Tokens.Mint(new RsaSecurityKey(RSA.Create(2048)) { KeyId = key.KeyId }, issuer, Subject(), "catalog.write", ["organizer"]),
            "alg-none" => Unsigned(Valid()),
            "wrong-audience" => Tokens.Mint(key, issuer, Subject(), "catalog.write", ["organizer"], audience: "another-api"),
            "wrong-issuer" => Tokens.Mint(key, "https://issuer.example/", Subject(), "catalog.write", ["organizer"]),
            "tampered-payload" => Tampered(Valid()),
            "not-a-jwt" => "not-a-jwt",
            // Right in every way but its type: an identity token (typ JWT), not an access token (at+jwt).
            "not-an-access-token" => Tokens.Mint(key, issuer, Subject(), "catalog.write", ["organizer"], type: "JWT"),
            _ => throw new ArgumentOutOfRangeException(nameof(defect)),
        };

        using var gateway = boxoffice.CreateGatewayClient();
        using var response = await gateway.SendAsync(Tokens.Get(OrganizerRoute, token), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(response.Headers.WwwAuthenticate, header => header.Scheme == "Bearer");

        // A service checks the token itself, as the gateway does, for a caller that reaches it directly.
        using var catalog = new HttpClient { BaseAddress = boxoffice.App.GetEndpoint("catalog", "http") };
        using var direct = await catalog.SendAsync(Tokens.Get(OrganizerRoute.Replace("/api/catalog", "", StringComparison.Ordinal), token), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, direct.StatusCode);
        if (token is not null)
        {
            // The signature is the token's unique part; an unsigned token is looked for whole.
            var secret = token.Split('.')[^1] is { Length: > 16 } signature ? signature : token;
            var lines = boxoffice.Logs.Lines;
            Assert.NotEmpty(lines);
            Assert.DoesNotContain(lines, line => line.Line.Contains(secret, StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("catalog.read", "organizer")]
    [InlineData("catalog.write", "buyer")]
    [InlineData("catalog.write booking", "")]
    public async Task A_valid_token_without_the_routes_scope_and_role_gets_403(string scope, string role)
    {
        var key = await Tokens.SigningKeyAsync(boxoffice);
        var token = Tokens.Mint(key, await Tokens.IssuerAsync(boxoffice), Subject(), scope, role.Length == 0 ? [] : [role]);

        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(token));
    }

    [Fact]
    public async Task A_buyer_who_asks_for_organizer_scope_is_not_granted_it_and_is_refused_organizer_routes()
    {
        const string password = "correct horse battery staple";
        var email = await Tokens.RegisterBuyerAsync(boxoffice, password);

        var tokens = await Tokens.AuthorizationCodeAsync(boxoffice, email, password, "openid catalog.read catalog.write booking");
        var access = tokens.GetProperty("access_token").GetString()!;

        Assert.Contains("booking", Tokens.Scopes(access));
        Assert.DoesNotContain("catalog.write", Tokens.Scopes(access));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(access));
    }

    private async Task<HttpStatusCode> SendAsync(string? token)
    {
        using var gateway = boxoffice.CreateGatewayClient();
        using var response = await gateway.SendAsync(Tokens.Get(OrganizerRoute, token), TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    private static string Subject() => $"tests-{Guid.NewGuid():N}";

    /// <summary>The same claims with <c>alg: none</c> and no signature.</summary>
    private static string Unsigned(string token)
    {
        var header = Base64UrlEncoder.Encode("""{"alg":"none","typ":"at+jwt"}""");
        return $"{header}.{token.Split('.')[1]}.";
    }

    /// <summary>The signed token with one claim changed and the original signature kept.</summary>
    private static string Tampered(string token)
    {
        var parts = token.Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1])).Replace("\"catalog.write\"", "\"catalog.write webhooks\"", StringComparison.Ordinal);
        Assert.Contains("webhooks", payload);
        return $"{parts[0]}.{Base64UrlEncoder.Encode(payload)}.{parts[2]}";
    }
}
