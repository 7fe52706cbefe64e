using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace Boxoffice.Tests.Edge;

/// <summary>Sign-in, registration and the OAuth2 flows of the identity server, through the gateway.</summary>
[Collection<RunningApp>]
public sealed class SignInTests(BoxofficeApp boxoffice)
{
    private const string Password = "correct horse battery staple";
    private const string FailedSignIn = "The email or password is not right.";

    [Fact]
    public async Task The_seeded_organizer_signs_in_with_PKCE_and_refreshes_the_token()
    {
        var password = await boxoffice.ParameterAsync("organizer-password");
        var tokens = await Tokens.AuthorizationCodeAsync(boxoffice, "organizer@boxoffice.local", password, "openid catalog.read catalog.write offline_access");
        Assert.Contains("catalog.write", Tokens.Scopes(tokens.GetProperty("access_token").GetString()!));

        using var gateway = boxoffice.CreateGatewayClient();
        using var refreshed = await gateway.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["client_id"] = Tokens.WebClient,
            ["refresh_token"] = tokens.GetProperty("refresh_token").GetString()!,
        }), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        var access = (await refreshed.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("access_token").GetString();
        using var organizerEvents = await gateway.SendAsync(Tokens.Get("/api/catalog/organizer/events", access), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, organizerEvents.StatusCode);
    }

    [Theory]
    [InlineData("GET", "/.well-known/openid-configuration")]
    [InlineData("GET", "/account/login?ReturnUrl=%2Fconnect%2Fauthorize")]
    [InlineData("POST", "/connect/token")]
    public async Task Identity_answers_only_to_its_own_host_names_whatever_host_a_client_sends_through_the_gateway(string method, string path)
    {
        using var gateway = boxoffice.CreateGatewayClient();
        HttpRequestMessage Request(string? host)
        {
            var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (host is not null)
            {
                request.Headers.Host = host;
            }

            if (method == "POST")
            {
                request.Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = "organizer-backoffice", ["client_secret"] = "not-the-secret" });
            }

            return request;
        }

        using var own = Request(null);
        using var ownHost = await gateway.SendAsync(own, TestContext.Current.CancellationToken);
        using var forged = Request("evil.example");
        using var otherHost = await gateway.SendAsync(forged, TestContext.Current.CancellationToken);

        // The server's own name gets the server (a page, a document, or OAuth2's own error).
        Assert.NotEqual("application/problem+json", ownHost.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.BadRequest, otherHost.StatusCode);
        Assert.Equal("application/problem+json", otherHost.Content.Headers.ContentType?.MediaType);
        var body = await otherHost.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("/problems/host-not-allowed", body);
        Assert.DoesNotContain("evil.example", body);
        Assert.Null(otherHost.Headers.Location);
    }

    [Fact]
    public async Task The_discovery_document_lists_the_revocation_and_end_session_endpoints()
    {
        using var gateway = boxoffice.CreateGatewayClient();
        var discovery = await gateway.GetFromJsonAsync<JsonElement>("/.well-known/openid-configuration", TestContext.Current.CancellationToken);
        var issuer = discovery.GetProperty("issuer").GetString()!.TrimEnd('/');

        Assert.Equal($"{issuer}/connect/revoke", discovery.GetProperty("revocation_endpoint").GetString());
        Assert.Equal($"{issuer}/connect/logout", discovery.GetProperty("end_session_endpoint").GetString());
    }

    [Fact]
    public async Task Revoking_a_refresh_token_revokes_every_refresh_token_of_its_sign_in()
    {
        var email = await Tokens.RegisterBuyerAsync(boxoffice, Password);
        var tokens = await Tokens.AuthorizationCodeAsync(boxoffice, email, Password, "openid booking offline_access");
        var first = tokens.GetProperty("refresh_token").GetString()!;
        using var gateway = boxoffice.CreateGatewayClient();
        using var rolled = await RefreshAsync(gateway, first);
        Assert.Equal(HttpStatusCode.OK, rolled.StatusCode);
        var second = await RefreshTokenOfAsync(rolled);

        // The first, already used, is revoked (RFC 7009): the sign-in's newer token dies with it.
        using var revoked = await RevokeAsync(gateway, first, "refresh_token");
        using var refused = await RefreshAsync(gateway, second);

        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        await AssertInvalidGrantAsync(refused);
    }

    [Fact]
    public async Task A_replayed_code_ends_the_refresh_tokens_it_gave()
    {
        var password = await boxoffice.ParameterAsync("organizer-password");
        using var browser = Tokens.Browser(boxoffice);
        var (code, verifier) = await Tokens.CodeAsync(browser, "organizer@boxoffice.local", password, "openid catalog.read offline_access");
        using var exchanged = await Tokens.ExchangeAsync(browser, code, verifier);
        Assert.Equal(HttpStatusCode.OK, exchanged.StatusCode);
        var refresh = await RefreshTokenOfAsync(exchanged);

        // A code sent again was intercepted (RFC 6749, 4.1.2): refused, and what it gave is revoked.
        using var replayed = await Tokens.ExchangeAsync(browser, code, verifier);
        using var gateway = boxoffice.CreateGatewayClient();
        using var refused = await RefreshAsync(gateway, refresh);

        Assert.Equal(HttpStatusCode.BadRequest, replayed.StatusCode);
        await AssertInvalidGrantAsync(refused);
    }

    [Fact]
    public async Task A_refresh_token_presented_by_another_client_is_refused_and_burns_nothing()
    {
        var password = await boxoffice.ParameterAsync("organizer-password");
        var tokens = await Tokens.AuthorizationCodeAsync(boxoffice, "organizer@boxoffice.local", password, "openid catalog.read offline_access");
        var refresh = tokens.GetProperty("refresh_token").GetString()!;
        using var gateway = boxoffice.CreateGatewayClient();

        using var stolen = await gateway.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["client_id"] = "boxoffice-storefront",
            ["client_secret"] = await boxoffice.ParameterAsync("storefront-client-secret"),
            ["refresh_token"] = refresh,
        }), TestContext.Current.CancellationToken);
        using var owners = await RefreshAsync(gateway, refresh);

        await AssertInvalidGrantAsync(stolen);
        Assert.Equal(HttpStatusCode.OK, owners.StatusCode);
    }

    [Theory]
    [InlineData("access_token")]
    [InlineData("id_token")]
    [InlineData("garbage")]
    [InlineData("")]
    public async Task Revoking_what_is_not_a_refresh_token_is_answered_without_a_server_error(string kind)
    {
        var password = await boxoffice.ParameterAsync("organizer-password");
        var tokens = await Tokens.AuthorizationCodeAsync(boxoffice, "organizer@boxoffice.local", password, "openid catalog.read offline_access");
        var token = kind switch
        {
            "garbage" => "eyJhbGciOiJub25lIn0.e30.not-a-token",
            "" => "",
            _ => tokens.GetProperty(kind).GetString()!,
        };
        using var gateway = boxoffice.CreateGatewayClient();

        using var answer = await RevokeAsync(gateway, token, kind == "access_token" ? "access_token" : "refresh_token");

        // RFC 7009: 200 for a token the server does not know; 400 with an OAuth error otherwise.
        Assert.True(answer.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"{(int)answer.StatusCode}");
        if (answer.StatusCode == HttpStatusCode.BadRequest)
        {
            Assert.False(string.IsNullOrEmpty((await answer.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("error").GetString()));
        }

        // The sign-in's refresh token is untouched.
        using var refreshed = await RefreshAsync(gateway, tokens.GetProperty("refresh_token").GetString()!);
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
    }

    /// <summary>The refresh token a token endpoint's answer carries.</summary>
    private static async Task<string> RefreshTokenOfAsync(HttpResponseMessage answer) =>
        (await answer.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("refresh_token").GetString()!;

    /// <summary>A token endpoint's refusal of the grant: 400 with OAuth's <c>invalid_grant</c>.</summary>
    private static async Task AssertInvalidGrantAsync(HttpResponseMessage answer)
    {
        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.Equal("invalid_grant", (await answer.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("error").GetString());
    }

    private static Task<HttpResponseMessage> RevokeAsync(HttpClient gateway, string token, string hint) =>
        gateway.PostAsync("/connect/revoke", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["client_id"] = Tokens.WebClient,
            ["token"] = token,
            ["token_type_hint"] = hint,
        }), TestContext.Current.CancellationToken);

    [Fact]
    public async Task Only_codes_are_stored_as_tokens_and_a_sign_in_keeps_one_refresh_family_row()
    {
        // The seeded organizer, not a new account: the suite's registrations from one address
        // stay under identity's hourly limit.
        var password = await boxoffice.ParameterAsync("organizer-password");
        await using var identitydb = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("identitydb"));
        var first = await Tokens.AuthorizationCodeAsync(boxoffice, "organizer@boxoffice.local", password, "openid catalog.read offline_access");
        var subject = new JsonWebToken(first.GetProperty("access_token").GetString()).Subject;
        var before = await StoredTokensAsync(identitydb, subject);

        var tokens = await Tokens.AuthorizationCodeAsync(boxoffice, "organizer@boxoffice.local", password, "openid catalog.read offline_access");
        using var gateway = boxoffice.CreateGatewayClient();
        using var rolled = await RefreshAsync(gateway, tokens.GetProperty("refresh_token").GetString()!);
        Assert.Equal(HttpStatusCode.OK, rolled.StatusCode);
        using var again = await RefreshAsync(gateway, await RefreshTokenOfAsync(rolled));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var after = await StoredTokensAsync(identitydb, subject);

        // One more code (redeemed: single use), and no token row for the three refresh tokens, the
        // two access tokens or the identity token: the sign-in's family row counts its refresh
        // tokens instead, at its third generation.
        Assert.All(after.Keys, type => Assert.Contains("code", type, StringComparison.Ordinal));
        Assert.Equal(1L, after.Values.Sum() - before.Values.Sum());
        Assert.Equal(3, await FamilyGenerationAsync(tokens.GetProperty("refresh_token").GetString()!));
    }

    [Fact]
    public async Task A_refresh_answers_an_access_token_and_the_next_refresh_token_without_a_new_identity_token()
    {
        var email = await Tokens.RegisterBuyerAsync(boxoffice, Password);
        var tokens = await Tokens.AuthorizationCodeAsync(boxoffice, email, Password, "openid booking offline_access");
        Assert.True(tokens.TryGetProperty("id_token", out _), "the sign-in itself answers an identity token");
        using var gateway = boxoffice.CreateGatewayClient();

        using var rolled = await RefreshAsync(gateway, tokens.GetProperty("refresh_token").GetString()!);
        var answer = await rolled.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, rolled.StatusCode);
        Assert.False(answer.TryGetProperty("id_token", out _), "a refresh answered a new identity token");
        Assert.Equal(new JsonWebToken(tokens.GetProperty("access_token").GetString()).Subject, new JsonWebToken(answer.GetProperty("access_token").GetString()).Subject);
        Assert.NotEqual(tokens.GetProperty("refresh_token").GetString(), answer.GetProperty("refresh_token").GetString());
    }

    [Fact]
    public async Task A_used_refresh_token_sent_again_within_the_leeway_is_answered_and_the_sign_in_goes_on()
    {
        var email = await Tokens.RegisterBuyerAsync(boxoffice, Password);
        var tokens = await Tokens.AuthorizationCodeAsync(boxoffice, email, Password, "openid booking offline_access");
        var first = tokens.GetProperty("refresh_token").GetString()!;
        using var gateway = boxoffice.CreateGatewayClient();

        // Two tabs at once and a lost answer retried: the same token, seven times together. They
        // queue on the family's row; the first moves it on, the others are within the leeway.
        var answers = await Task.WhenAll(Enumerable.Range(0, 7).Select(_ => RefreshAsync(gateway, first)));
        Assert.All(answers, answer => Assert.Equal(HttpStatusCode.OK, answer.StatusCode));
        var refreshTokens = new List<string>();
        foreach (var answer in answers)
        {
            refreshTokens.Add(await RefreshTokenOfAsync(answer));
            answer.Dispose();
        }

        // One generation on, whichever answer came first; and any of the answers goes on.
        var second = refreshTokens[^1];
        Assert.Equal(2, await FamilyGenerationAsync(second));
        using var next = await RefreshAsync(gateway, refreshTokens[0]);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(3, await FamilyGenerationAsync(second));
    }

    [Fact]
    public async Task Refresh_tokens_are_sealed_with_identitys_own_keys_while_access_and_identity_tokens_carry_a_published_RSA_signature()
    {
        var password = await boxoffice.ParameterAsync("organizer-password");
        var tokens = await Tokens.AuthorizationCodeAsync(boxoffice, "organizer@boxoffice.local", password, "openid catalog.read catalog.write offline_access");
        using var gateway = boxoffice.CreateGatewayClient();
        var jwks = await gateway.GetFromJsonAsync<JsonElement>("/.well-known/jwks", TestContext.Current.CancellationToken);
        var published = jwks.GetProperty("keys").EnumerateArray().ToList();

        // The internal keys are never published: every key in the JWKS is a public RSA key.
        Assert.NotEmpty(published);
        Assert.All(published, key =>
        {
            Assert.Equal("RSA", key.GetProperty("kty").GetString());
            Assert.False(key.TryGetProperty("k", out _), "a symmetric key's secret in the JWKS");
            Assert.False(key.TryGetProperty("d", out _), "a private exponent in the JWKS");
        });
        var kids = published.Select(key => key.GetProperty("kid").GetString()).ToHashSet();

        // Access and identity tokens: RS256 under a published key, so the gateway, the services
        // and clients validate them as before.
        foreach (var name in new[] { "access_token", "id_token" })
        {
            var header = Header(tokens.GetProperty(name).GetString()!);
            Assert.Equal("RS256", header.GetProperty("alg").GetString());
            Assert.Contains(header.GetProperty("kid").GetString(), kids);
        }

        // The refresh token: its content key wrapped with AES under identity's internal secret (as
        // stored in identitydb), and inside, an HS256 signature by that secret's other half.
        var secret = await Tokens.InternalSecretAsync(boxoffice);
        var refresh = tokens.GetProperty("refresh_token").GetString()!;
        await AssertSealedInternallyAsync(refresh, secret);
        using var rolled = await RefreshAsync(gateway, refresh);
        Assert.Equal(HttpStatusCode.OK, rolled.StatusCode);
        var next = await rolled.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        await AssertSealedInternallyAsync(next.GetProperty("refresh_token").GetString()!, secret);
        Assert.Equal("RS256", Header(next.GetProperty("access_token").GetString()!).GetProperty("alg").GetString());
        using var organizerEvents = await gateway.SendAsync(Tokens.Get("/api/catalog/organizer/events", next.GetProperty("access_token").GetString()), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, organizerEvents.StatusCode);

        // A refresh token altered anywhere (here its wrapped key, then its ciphertext) is refused
        // as an invalid grant, never a 500.
        var parts = next.GetProperty("refresh_token").GetString()!.Split('.');
        foreach (var part in new[] { 1, 3 })
        {
            var altered = (string[])parts.Clone();
            altered[part] = (altered[part][0] == 'A' ? "B" : "A") + altered[part][1..];
            using var refused = await RefreshAsync(gateway, string.Join('.', altered));
            await AssertInvalidGrantAsync(refused);
        }
    }

    private static JsonElement Header(string token) =>
        JsonDocument.Parse(Base64UrlEncoder.Decode(token.Split('.')[0])).RootElement.Clone();

    /// <summary>Decrypts and validates the token with the internal secret alone: the RSA keys are not offered.</summary>
    private static async Task AssertSealedInternallyAsync(string refreshToken, (string Id, byte[] Secret) secret)
    {
        Assert.Equal(5, refreshToken.Split('.').Length);
        var header = Header(refreshToken);
        Assert.Equal("A256KW", header.GetProperty("alg").GetString());
        Assert.Equal("A256CBC-HS512", header.GetProperty("enc").GetString());
        Assert.Equal(secret.Id, header.GetProperty("kid").GetString());
        await OpenSealedAsync(refreshToken, secret);
    }

    /// <summary>
    /// The claims of a refresh token opened with the internal secret alone, after checking its
    /// signature, key wrap, content encryption (nothing else is accepted), type and lifetime.
    /// </summary>
    private static async Task<IDictionary<string, object>> OpenSealedAsync(string refreshToken, (string Id, byte[] Secret) secret)
    {
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(refreshToken, new TokenValidationParameters
        {
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = true,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256, SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512],
            IssuerSigningKey = new SymmetricSecurityKey(secret.Secret[..32]) { KeyId = secret.Id },
            TokenDecryptionKey = new SymmetricSecurityKey(secret.Secret[32..]) { KeyId = secret.Id },
            ValidTypes = ["oi_reft+jwt"],
        });
        Assert.True(result.IsValid, result.Exception?.Message);
        return result.Claims;
    }

    /// <summary>The generation of the refresh family a refresh token belongs to, read from identitydb by the token's authorization.</summary>
    private async Task<int> FamilyGenerationAsync(string refreshToken)
    {
        var claims = await OpenSealedAsync(refreshToken, await Tokens.InternalSecretAsync(boxoffice));
        await using var identitydb = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("identitydb"));
        await using var command = identitydb.CreateCommand("SELECT generation FROM refresh_families WHERE authorization_id = $1");
        command.Parameters.AddWithValue((string)claims["oi_au_id"]);
        return (int)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    /// <summary>How many rows identitydb holds for the subject, by token type.</summary>
    private static async Task<Dictionary<string, long>> StoredTokensAsync(NpgsqlDataSource identitydb, string subject)
    {
        await using var command = identitydb.CreateCommand("SELECT \"Type\", count(*) FROM \"OpenIddictTokens\" WHERE \"Subject\" = $1 GROUP BY \"Type\"");
        command.Parameters.AddWithValue(subject);
        var stored = new Dictionary<string, long>();
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            stored[reader.GetString(0)] = reader.GetInt64(1);
        }

        return stored;
    }

    [Fact]
    public async Task A_used_refresh_token_sent_again_revokes_the_whole_chain()
    {
        var email = await Tokens.RegisterBuyerAsync(boxoffice, Password);
        var tokens = await Tokens.AuthorizationCodeAsync(boxoffice, email, Password, "openid booking offline_access");
        var first = tokens.GetProperty("refresh_token").GetString()!;
        using var gateway = boxoffice.CreateGatewayClient();
        using var rolled = await RefreshAsync(gateway, first);
        Assert.Equal(HttpStatusCode.OK, rolled.StatusCode);
        var second = await RefreshTokenOfAsync(rolled);
        Assert.NotEqual(first, second);

        // Past the reuse leeway (Identity:RefreshTokenReuseLeeway, 5 s), the first token sent again
        // is a thief's replay: refused, and the owner's newer token dies with it.
        await Task.Delay(TimeSpan.FromSeconds(6), TestContext.Current.CancellationToken);
        using var replay = await RefreshAsync(gateway, first);
        using var owners = await RefreshAsync(gateway, second);

        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        await AssertInvalidGrantAsync(owners);
    }

    [Fact]
    public async Task Logging_out_ends_the_identity_servers_session_and_clears_the_sites_data()
    {
        var email = await Tokens.RegisterBuyerAsync(boxoffice, Password);
        using var browser = Tokens.Browser(boxoffice);
        var tokens = await Tokens.AuthorizationCodeAsync(browser, email, Password, "openid booking");
        Assert.True(await SignedInAsync(browser));

        // The client names the user with their identity token: the session ends at once.
        using var logout = await browser.GetAsync(
            $"/connect/logout?client_id={Tokens.WebClient}&post_logout_redirect_uri={Uri.EscapeDataString("http://localhost:5173/")}" +
            $"&id_token_hint={tokens.GetProperty("id_token").GetString()}", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Found, logout.StatusCode);
        Assert.Equal("http://localhost:5173/", logout.Headers.Location?.AbsoluteUri);
        Assert.Contains("\"cookies\"", string.Join(",", logout.Headers.GetValues("Clear-Site-Data")));
        Assert.False(await SignedInAsync(browser));
    }

    [Fact]
    public async Task A_logout_link_from_elsewhere_asks_the_user_and_ends_the_session_only_when_they_confirm()
    {
        var email = await Tokens.RegisterBuyerAsync(boxoffice, Password);
        using var browser = Tokens.Browser(boxoffice);
        await Tokens.AuthorizationCodeAsync(browser, email, Password, "openid booking");
        var link = $"/connect/logout?client_id={Tokens.WebClient}&post_logout_redirect_uri={Uri.EscapeDataString("http://localhost:5173/")}&state=s1";

        // A link (or an image) on another site: a page that asks, and the session goes on.
        using var asked = await browser.GetAsync(link, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, asked.StatusCode);
        Assert.Equal("no-store", asked.Headers.CacheControl?.ToString());
        // The confirmation posts here and ends in a redirect to the client: both are allowed form targets.
        var formAction = asked.Headers.GetValues("Content-Security-Policy").Single().Split(';', StringSplitOptions.TrimEntries)
            .Single(directive => directive.StartsWith("form-action ", StringComparison.Ordinal)).Split(' ');
        Assert.Contains("'self'", formAction);
        Assert.Contains("http://localhost:5173", formAction);
        Assert.False(asked.Headers.Contains("Clear-Site-Data"));
        var page = await asked.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(await SignedInAsync(browser));

        // A form on another site that posts the confirmation has no antiforgery token: asked again.
        var request = new Dictionary<string, string>
        {
            ["client_id"] = Tokens.WebClient,
            ["post_logout_redirect_uri"] = "http://localhost:5173/",
            ["state"] = "s1",
            ["confirm"] = "yes",
        };
        using (var forged = await browser.PostAsync("/connect/logout", new FormUrlEncodedContent(request), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, forged.StatusCode);
            Assert.True(await SignedInAsync(browser));
        }

        // The user presses "Sign out" on the page: the request goes on as asked.
        var form = Regex.Matches(page, "<input type=\"hidden\" name=\"([^\"]*)\" value=\"([^\"]*)\">")
            .ToDictionary(field => WebUtility.HtmlDecode(field.Groups[1].Value), field => WebUtility.HtmlDecode(field.Groups[2].Value));
        Assert.Equal("s1", form["state"]);
        form["confirm"] = "yes";
        using var confirmed = await browser.PostAsync("/connect/logout", new FormUrlEncodedContent(form), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Found, confirmed.StatusCode);
        Assert.StartsWith("http://localhost:5173/", confirmed.Headers.Location?.AbsoluteUri);
        Assert.Contains("state=s1", confirmed.Headers.Location?.Query);
        Assert.Contains("\"cookies\"", string.Join(",", confirmed.Headers.GetValues("Clear-Site-Data")));
        Assert.False(await SignedInAsync(browser));
    }

    /// <summary>Whether the identity server still has a session in <paramref name="browser"/>: an authorization goes straight back with a code.</summary>
    private static async Task<bool> SignedInAsync(HttpClient browser)
    {
        var authorize = $"/connect/authorize?client_id={Tokens.WebClient}&response_type=code&redirect_uri={Uri.EscapeDataString(Tokens.WebRedirect)}" +
            "&scope=openid%20booking&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&state=again";
        using var again = await browser.GetAsync(authorize, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Found, again.StatusCode);
        var location = new Uri(browser.BaseAddress!, again.Headers.Location!);
        if (location.AbsolutePath == "/account/login")
        {
            return false;
        }

        Assert.StartsWith(Tokens.WebRedirect + "?", location.AbsoluteUri);
        return true;
    }

    [Fact]
    public async Task A_logout_to_an_unregistered_address_is_refused()
    {
        using var browser = Tokens.Browser(boxoffice);

        using var logout = await browser.GetAsync(
            $"/connect/logout?client_id={Tokens.WebClient}&post_logout_redirect_uri={Uri.EscapeDataString("https://evil.example/")}", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, logout.StatusCode);
        Assert.Null(logout.Headers.Location);
    }

    [Fact]
    public async Task Passwords_are_hashed_with_PBKDF2_at_210000_iterations_and_an_older_hash_is_upgraded_at_sign_in()
    {
        var email = await Tokens.RegisterBuyerAsync(boxoffice, Password);
        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("identitydb"));
        Assert.Equal(210_000, Iterations(await StoredHashAsync(db, email)));

        // The same account as ASP.NET Core's default (100,000 iterations) would have hashed it.
        var salt = RandomNumberGenerator.GetBytes(16);
        var old = new byte[13 + 16 + 32];
        old[0] = 0x01;
        BinaryPrimitives.WriteUInt32BigEndian(old.AsSpan(1), 2); // HMAC-SHA512
        BinaryPrimitives.WriteUInt32BigEndian(old.AsSpan(5), 100_000);
        BinaryPrimitives.WriteUInt32BigEndian(old.AsSpan(9), 16);
        salt.CopyTo(old, 13);
        Rfc2898DeriveBytes.Pbkdf2(Password, salt, 100_000, HashAlgorithmName.SHA512, 32).CopyTo(old, 29);
        await using (var downgrade = db.CreateCommand("""UPDATE users SET "PasswordHash" = $1 WHERE "NormalizedEmail" = upper($2)"""))
        {
            downgrade.Parameters.Add(new() { Value = Convert.ToBase64String(old) });
            downgrade.Parameters.Add(new() { Value = email });
            Assert.Equal(1, await downgrade.ExecuteNonQueryAsync(TestContext.Current.CancellationToken));
        }

        using var browser = Tokens.Browser(boxoffice);
        using var signedIn = await Tokens.SignInAsync(browser, "/account/login", email, Password);

        Assert.Equal(HttpStatusCode.Found, signedIn.StatusCode);
        Assert.Equal(210_000, Iterations(await StoredHashAsync(db, email)));
    }

    private static async Task<byte[]> StoredHashAsync(NpgsqlDataSource db, string email)
    {
        await using var command = db.CreateCommand("""SELECT "PasswordHash" FROM users WHERE "NormalizedEmail" = upper($1)""");
        command.Parameters.Add(new() { Value = email });
        return Convert.FromBase64String((string)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!);
    }

    /// <summary>ASP.NET Core Identity's v3 format: 0x01, PRF, iteration count, salt length (big-endian), salt, subkey.</summary>
    private static int Iterations(byte[] hash)
    {
        Assert.Equal(0x01, hash[0]);
        return (int)BinaryPrimitives.ReadUInt32BigEndian(hash.AsSpan(5));
    }

    private static Task<HttpResponseMessage> RefreshAsync(HttpClient gateway, string refreshToken) =>
        gateway.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["client_id"] = Tokens.WebClient,
            ["refresh_token"] = refreshToken,
        }), TestContext.Current.CancellationToken);

    [Fact]
    public async Task A_wrong_password_and_an_unknown_account_answer_alike()
    {
        var email = await Tokens.RegisterBuyerAsync(boxoffice, Password);
        using var browser = Tokens.Browser(boxoffice);

        using var wrongPassword = await Tokens.SignInAsync(browser, "/account/login", email, "not the password at all");
        using var unknownAccount = await Tokens.SignInAsync(browser, "/account/login", $"nobody-{Guid.NewGuid():N}@example.com", "not the password at all");

        Assert.Equal(HttpStatusCode.BadRequest, wrongPassword.StatusCode);
        Assert.Equal(wrongPassword.StatusCode, unknownAccount.StatusCode);
        Assert.Contains(FailedSignIn, await wrongPassword.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Contains(FailedSignIn, await unknownAccount.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Null(wrongPassword.Headers.Location);
    }

    [Fact]
    public async Task Repeated_failed_sign_ins_are_refused_for_a_while_even_with_the_right_password()
    {
        var email = await Tokens.RegisterBuyerAsync(boxoffice, Password);
        using var browser = Tokens.Browser(boxoffice);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            using var failed = await Tokens.SignInAsync(browser, "/account/login", email, $"wrong password {attempt}");
            Assert.Equal(HttpStatusCode.BadRequest, failed.StatusCode);
        }

        using var refused = await Tokens.SignInAsync(browser, "/account/login", email, Password);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
    }

    [Fact]
    public async Task Failed_sign_ins_from_another_address_never_lock_the_owner_out()
    {
        var email = await Tokens.RegisterBuyerAsync(boxoffice, Password);

        // The attacker's address, as the gateway would forward it to identity.
        using var attacker = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer(), UseCookies = true })
        {
            BaseAddress = boxoffice.App.GetEndpoint("identity", "http"),
        };
        attacker.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.66");
        for (var attempt = 0; attempt < 6; attempt++)
        {
            using var failed = await Tokens.SignInAsync(attacker, "/account/login", email, $"wrong password {attempt}");
            Assert.Contains(failed.StatusCode, new[] { HttpStatusCode.BadRequest, HttpStatusCode.TooManyRequests });
        }

        using var attackerRefused = await Tokens.SignInAsync(attacker, "/account/login", email, Password);
        Assert.Equal(HttpStatusCode.TooManyRequests, attackerRefused.StatusCode);

        // The owner, from their own address, signs in as ever.
        using var owner = Tokens.Browser(boxoffice);
        using var signedIn = await Tokens.SignInAsync(owner, "/account/login", email, Password);
        Assert.Equal(HttpStatusCode.Found, signedIn.StatusCode);
    }

    [Fact]
    public async Task Accounts_created_from_one_address_are_limited_per_hour()
    {
        var ct = TestContext.Current.CancellationToken;
        // One address of a bot farm, as the gateway would forward it to identity.
        using var farm = new HttpClient { BaseAddress = boxoffice.App.GetEndpoint("identity", "http") };
        farm.DefaultRequestHeaders.Add("X-Forwarded-For", $"198.51.100.{Random.Shared.Next(1, 255)}");
        async Task<HttpResponseMessage> RegisterAsync() =>
            await farm.PostAsJsonAsync("/account/register", new { email = $"bot-{Guid.NewGuid():N}@example.com", password = Password }, ct);

        for (var account = 0; account < BoxofficeApp.RegistrationsPerAddress; account++)
        {
            using var created = await RegisterAsync();
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using var refused = await RegisterAsync();
        var problem = await WaitingRoom.ProblemAnswer.ExpectAsync(refused, HttpStatusCode.TooManyRequests, "rate-limited", "one account more than the limit from one address within the hour");
        Assert.InRange(refused.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromMinutes(50), TimeSpan.FromHours(1));

        // Another address is not held back.
        await Tokens.RegisterBuyerAsync(boxoffice, Password);
    }

    [Fact]
    public async Task Sign_in_never_redirects_to_another_site()
    {
        var email = await Tokens.RegisterBuyerAsync(boxoffice, Password);
        using var browser = Tokens.Browser(boxoffice);

        using var signedIn = await Tokens.SignInAsync(browser, "/account/login?returnUrl=" + Uri.EscapeDataString("//evil.example/steal"), email, Password);

        Assert.Equal(HttpStatusCode.Found, signedIn.StatusCode);
        Assert.Equal("/", signedIn.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task A_public_client_must_use_PKCE()
    {
        using var browser = Tokens.Browser(boxoffice);

        using var response = await browser.GetAsync(
            $"/connect/authorize?client_id={Tokens.WebClient}&response_type=code&redirect_uri={Uri.EscapeDataString(Tokens.WebRedirect)}&scope=openid&state=s",
            TestContext.Current.CancellationToken);

        var location = response.Headers.Location?.OriginalString ?? "";
        Assert.DoesNotContain("code=", location);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest || location.Contains("error=invalid_request"), $"{response.StatusCode} {location}");
    }

    [Fact]
    public async Task PKCE_takes_only_S256_never_the_plain_method()
    {
        using var browser = Tokens.Browser(boxoffice);
        var ct = TestContext.Current.CancellationToken;

        var discovery = await browser.GetFromJsonAsync<JsonElement>("/.well-known/openid-configuration", ct);
        Assert.Equal(["S256"], discovery.GetProperty("code_challenge_methods_supported").EnumerateArray().Select(method => method.GetString()));

        // With plain the challenge is the verifier: whoever reads the request could redeem the code.
        using var response = await browser.GetAsync(
            $"/connect/authorize?client_id={Tokens.WebClient}&response_type=code&redirect_uri={Uri.EscapeDataString(Tokens.WebRedirect)}&scope=openid" +
            "&code_challenge=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk&code_challenge_method=plain&state=s", ct);

        var location = response.Headers.Location?.OriginalString ?? "";
        Assert.DoesNotContain("code=", location);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest || location.Contains("error=invalid_request"), $"{response.StatusCode} {location}");
        Assert.DoesNotContain("/account/login", location);
    }

    [Theory]
    [InlineData("http://localhost:5173/callback/../evil")]
    [InlineData("http://localhost:5173/callback/extra")]
    [InlineData("http://localhost:5173/CALLBACK")]
    [InlineData("https://evil.example/callback")]
    public async Task Redirect_uris_must_match_exactly(string redirectUri)
    {
        using var browser = Tokens.Browser(boxoffice);

        using var response = await browser.GetAsync(
            $"/connect/authorize?client_id={Tokens.WebClient}&response_type=code&redirect_uri={Uri.EscapeDataString(redirectUri)}&scope=openid" +
            "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&state=s",
            TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Registering_an_existing_email_is_a_409_problem()
    {
        var email = await Tokens.RegisterBuyerAsync(boxoffice, Password);
        using var gateway = boxoffice.CreateGatewayClient();

        using var again = await gateway.PostAsJsonAsync("/account/register", new { email = email.ToUpperInvariant(), password = Password }, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("application/problem+json", again.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("{", null)]
    [InlineData("[]", null)]
    [InlineData("""{"email":"buyer@example.com"}""", "Password")]
    [InlineData("""{"password":"correct horse battery staple"}""", "Email")]
    [InlineData("""{"email":"not-an-email","password":"correct horse battery staple"}""", "email")]
    [InlineData("""{"email":"<script>alert(1)</script>@example.com","password":"correct horse battery staple"}""", "email")]
    [InlineData("""{"email":"buyer@example.com","password":"short"}""", "Password")]
    [InlineData("""{"email":5,"password":true}""", null)]
    public async Task Malformed_registrations_get_a_400_problem(string body, string? field)
    {
        using var gateway = boxoffice.CreateGatewayClient();

        using var response = await gateway.PostAsync("/account/register", new StringContent(body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        if (field is not null)
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
            Assert.Contains(problem.GetProperty("errors").EnumerateObject(), error => error.Name.Equals(field, StringComparison.OrdinalIgnoreCase));
        }
    }

    [Fact]
    public async Task Text_holding_NUL_in_a_token_request_a_sign_in_or_a_registration_is_refused_and_spoils_nothing_for_the_next_client()
    {
        var ct = TestContext.Current.CancellationToken;
        var email = await Tokens.RegisterBuyerAsync(boxoffice, Password);
        using var gateway = boxoffice.CreateGatewayClient();
        var secret = await boxoffice.ParameterAsync("backoffice-client-secret");

        // Several rounds: the identity server's pooled connections prepare a statement on its second call.
        for (var round = 0; round < 4; round++)
        {
            using var token = await gateway.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["client_id"] = Tokens.BackofficeClient + "\0",
                ["client_secret"] = secret,
                ["scope"] = "catalog.read",
            }), ct);
            var problem = await WaitingRoom.ProblemAnswer.ExpectAsync(token, HttpStatusCode.BadRequest, "unstorable-text", "a client id holding NUL");
            Assert.Equal("invalid_request", problem.GetProperty("error").GetString());

            using var browser = Tokens.Browser(boxoffice);
            using var signIn = await Tokens.SignInAsync(browser, "/account/login", email.Replace("@", "\0@", StringComparison.Ordinal), Password);
            await WaitingRoom.ProblemAnswer.ExpectAsync(signIn, HttpStatusCode.BadRequest, "unstorable-text", "an email holding NUL");

            using var query = await gateway.GetAsync($"/connect/authorize?client_id={Tokens.WebClient}%00&response_type=code", ct);
            await WaitingRoom.ProblemAnswer.ExpectAsync(query, HttpStatusCode.BadRequest, "unstorable-text", "a query holding NUL");

            // Client credentials in the Authorization header, as OpenIddict reads them: Base64, then URL-decoded.
            foreach (var clientId in new[] { Tokens.BackofficeClient + "%00", Tokens.BackofficeClient + "\0" })
            {
                using var basic = new HttpRequestMessage(HttpMethod.Post, "/connect/token")
                {
                    Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = "catalog.read" }),
                };
                basic.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes($"{clientId}:{Uri.EscapeDataString(secret)}")));
                using var refused = await gateway.SendAsync(basic, ct);
                await WaitingRoom.ProblemAnswer.ExpectAsync(refused, HttpStatusCode.BadRequest, "unstorable-text", "Basic credentials holding NUL");
            }

            // A registration's JSON: refused as the body is read, the field named, nothing written.
            var nulEmail = $"nul\0{Guid.NewGuid():N}@example.com";
            using var register = await gateway.PostAsJsonAsync("/account/register", new { email = nulEmail, password = Password }, ct);
            Assert.Equal(HttpStatusCode.BadRequest, register.StatusCode);
            Assert.Equal("application/problem+json", register.Content.Headers.ContentType?.MediaType);
            var registerProblem = await register.Content.ReadFromJsonAsync<JsonElement>(ct);
            Assert.True(registerProblem.GetProperty("errors").TryGetProperty("email", out _), registerProblem.ToString());

            Assert.NotEmpty(await Tokens.ClientCredentialsAsync(boxoffice, "catalog.read"));
            using var honest = await Tokens.SignInAsync(browser, "/account/login", email, Password);
            Assert.Equal(HttpStatusCode.Redirect, honest.StatusCode);
            Assert.NotEmpty(await Tokens.RegisterBuyerAsync(boxoffice, Password));
        }
    }
}
