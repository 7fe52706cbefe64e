using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Boxoffice.Tests.Edge;

/// <summary>What the gateway does to every request and response: headers, limits, CORS, correlation.</summary>
[Collection<RunningApp>]
public sealed class GatewayHardeningTests(BoxofficeApp boxoffice)
{
    [Theory]
    [InlineData("/api/catalog/events", HttpStatusCode.OK)]
    [InlineData("/api/catalog/organizer/events", HttpStatusCode.Unauthorized)]
    [InlineData("/api/catalog/health", HttpStatusCode.NotFound)]
    [InlineData("/.well-known/openid-configuration", HttpStatusCode.OK)]
    [InlineData("/account/login", HttpStatusCode.OK)]
    [InlineData("/health", HttpStatusCode.NotFound)]
    public async Task Every_response_carries_the_secure_headers_and_no_server_banner(string path, HttpStatusCode status)
    {
        using var gateway = boxoffice.CreateGatewayClient();

        using var response = await gateway.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(status, response.StatusCode);
        string Header(string name) => response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : "";
        Assert.StartsWith("max-age=", Header("Strict-Transport-Security"));
        Assert.Equal("nosniff", Header("X-Content-Type-Options"));
        Assert.Equal("DENY", Header("X-Frame-Options"));
        Assert.Equal("no-referrer", Header("Referrer-Policy"));
        Assert.Contains("camera=()", Header("Permissions-Policy"));
        Assert.Equal("same-origin", Header("Cross-Origin-Opener-Policy"));
        Assert.Equal("same-origin", Header("Cross-Origin-Resource-Policy"));
        Assert.Equal("require-corp", Header("Cross-Origin-Embedder-Policy"));
        Assert.Equal("none", Header("X-Permitted-Cross-Domain-Policies"));
        Assert.Contains("frame-ancestors 'none'", Header("Content-Security-Policy"));
        Assert.False(response.Headers.Contains("Server"));
        Assert.False(response.Headers.Contains("X-Powered-By"));
    }

    [Fact]
    public async Task Answers_to_an_authenticated_caller_are_never_cached()
    {
        var token = await Tokens.ClientCredentialsAsync(boxoffice, "catalog.read catalog.write");
        using var gateway = boxoffice.CreateGatewayClient();

        using var response = await gateway.SendAsync(Tokens.Get("/api/catalog/organizer/events", token), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore);
    }

    [Fact]
    public async Task An_anonymous_answer_to_a_change_is_never_cached()
    {
        using var gateway = boxoffice.CreateGatewayClient();

        using var registered = await gateway.PostAsJsonAsync("/account/register",
            new { email = $"buyer-{Guid.NewGuid():N}@example.com", password = "correct horse battery staple" }, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        Assert.True(registered.Headers.CacheControl?.NoStore, $"Cache-Control: {registered.Headers.CacheControl}");
    }

    [Fact]
    public async Task The_sign_in_form_posts_only_to_this_site_or_a_registered_clients_redirect_origin()
    {
        using var gateway = boxoffice.CreateGatewayClient();

        using var page = await gateway.GetAsync("/account/login", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var policy = string.Join(",", page.Headers.GetValues("Content-Security-Policy"));
        var formAction = policy.Split(';', StringSplitOptions.TrimEntries).Single(directive => directive.StartsWith("form-action ", StringComparison.Ordinal));
        // This site, and the origins of the registered clients' redirects: the storefront's (the
        // gateway's public URL) and the development client's.
        string[] allowed = ["'self'", boxoffice.App.GetEndpoint("gateway", "http").GetLeftPart(UriPartial.Authority), new Uri(Tokens.WebRedirect).GetLeftPart(UriPartial.Authority)];
        Assert.Equal(allowed.Order(), formAction.Split(' ').Skip(1).Order());
        Assert.Contains("frame-ancestors 'none'", policy);
    }

    [Theory]
    [InlineData("/account/register", 10 * 1024 * 1024)]
    [InlineData("/connect/token", 100 * 1024)]
    [InlineData("/api/catalog/events", 2 * 1024 * 1024)]
    public async Task A_body_larger_than_the_route_allows_gets_a_413_problem(string path, int size)
    {
        using var gateway = boxoffice.CreateGatewayClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(new byte[size]) };
        request.Content.Headers.ContentType = new("application/json");
        // As careful clients of large uploads do (curl does by default): the body is sent only if
        // the server wants it, so the refusal arrives before megabytes travel.
        request.Headers.ExpectContinue = true;

        using var response = await gateway.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Headers_larger_than_the_limit_get_431()
    {
        using var gateway = boxoffice.CreateGatewayClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/catalog/events");
        request.Headers.TryAddWithoutValidation("X-Padding", new string('a', 40 * 1024));

        using var response = await gateway.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task The_gateways_own_API_document_is_rate_limited_like_every_route()
    {
        var key = await Tokens.SigningKeyAsync(boxoffice);
        var token = Tokens.Mint(key, await Tokens.IssuerAsync(boxoffice), $"tests-{Guid.NewGuid():N}", "catalog.read", []);
        using var gateway = boxoffice.CreateGatewayClient();

        var responses = new List<HttpResponseMessage>();
        foreach (var batch in Enumerable.Range(0, 2 * BoxofficeApp.RateLimit).Chunk(10))
        {
            responses.AddRange(await Task.WhenAll(batch.Select(_ => gateway.SendAsync(Tokens.Get("/openapi/v1.json", token), TestContext.Current.CancellationToken))));
        }

        Assert.Contains(responses, response => response.StatusCode == HttpStatusCode.OK);
        var limited = responses.Where(response => response.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(limited);
        Assert.All(limited, response => Assert.NotNull(response.Headers.RetryAfter));
    }

    [Fact]
    public async Task Without_the_waiting_rooms_internal_key_the_gateway_refuses_to_start_and_says_why()
    {
        foreach (var key in new string?[] { null, "too-short" })
        {
            var environment = new Dictionary<string, string>
            {
                ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
                ["Management__Port"] = "0",
                ["ConnectionStrings__redis"] = "127.0.0.1:1,abortConnect=false",
                ["Authentication__Issuer"] = "http://127.0.0.1:1",
                ["WaitingRoom__SigningKey"] = new string('k', 40),
            };
            if (key is not null)
            {
                environment["WaitingRoom__InternalKey"] = key;
            }

            var gateway = await ProcessRunner.RunDotnetAsync(
                Repository.Output(Path.Combine("Services", "Gateway"), "Boxoffice.Gateway"), [], environment, TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken);

            Assert.NotEqual(0, gateway.ExitCode);
            Assert.Contains("WaitingRoom:InternalKey must be set", gateway.Output + gateway.Error);
        }
    }

    [Fact]
    public async Task Too_many_requests_get_429_with_Retry_After_and_the_limit_holds_across_gateway_replicas()
    {
        Assert.Equal(2, BoxofficeApp.GatewayReplicas);
        var key = await Tokens.SigningKeyAsync(boxoffice);
        using var gateway = boxoffice.CreateGatewayClient();
        const int attempts = 3 * BoxofficeApp.RateLimit;

        // The limit is Redis's: where a Redis call fails, the gateway lets that batch through by
        // design (docs/adr/0003-gateway-rate-limiting.md; RedisOutageTests) and logs it, when the
        // outage begins and every 10 s while it lasts (OutageLog). A burst during which that
        // happened measures the outage, not the limit: it is run again, with a new caller. So the
        // lines read begin one warning interval before each burst, where an outage already under
        // way when it began was logged. A burst that passes too many without such a warning fails at once.
        const string FailedOpen = "Rate limit store unavailable";
        var lookBack = TimeSpan.FromSeconds(11);
        List<HttpResponseMessage> responses = [];
        TimeSpan elapsed = default;
        var logged = boxoffice.Logs.Lines.Count;
        await Task.Delay(lookBack, TestContext.Current.CancellationToken);
        for (var run = 1; ; run++)
        {
            var token = Tokens.Mint(key, await Tokens.IssuerAsync(boxoffice), $"tests-{Guid.NewGuid():N}", "catalog.write", ["organizer"]);
            var started = DateTime.UtcNow;
            responses = [];
            foreach (var batch in Enumerable.Range(0, attempts).Chunk(10))
            {
                responses.AddRange(await Task.WhenAll(batch.Select(_ =>
                    gateway.SendAsync(Tokens.Get("/api/catalog/organizer/events", token), TestContext.Current.CancellationToken))));
            }

            elapsed = DateTime.UtcNow - started;
            await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
            var outage = boxoffice.Logs.Lines.Skip(logged).Any(line => line.Resource == "gateway" && line.Line.Contains(FailedOpen, StringComparison.Ordinal));
            if (!outage)
            {
                break;
            }

            Assert.True(run < 3, "Redis failed under the gateway in three bursts in a row: the limit could not be measured.");
            responses.ForEach(response => response.Dispose());
            logged = boxoffice.Logs.Lines.Count;
            await Task.Delay(lookBack, TestContext.Current.CancellationToken);
        }

        var allowed = responses.Count(response => response.StatusCode == HttpStatusCode.OK);
        var limited = responses.Where(response => response.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        // One shared bucket: its capacity plus one token a second. Two per-replica buckets would let twice the capacity through,
        // and two replicas' scripts interleaving on the bucket could let a batch more (25 of 20, seen twice in many runs before
        // the embedded Redis ran scripts atomically: the likely cause). The message carries what the gateway logged meanwhile,
        // to tell an outage from a leak.
        var most = BoxofficeApp.RateLimit + (int)Math.Ceiling(elapsed.TotalSeconds) + 1;
        Assert.True(allowed >= BoxofficeApp.RateLimit && allowed <= most,
            $"{allowed} of {attempts} let through in {elapsed.TotalMilliseconds:F0} ms, against {BoxofficeApp.RateLimit} to {most}. The gateway logged meanwhile:\n"
            + string.Join("\n", boxoffice.Logs.Lines.Skip(logged).Where(line => line.Resource == "gateway").TakeLast(30).Select(line => line.Line)));
        Assert.Equal(attempts, allowed + limited.Count);
        var rejected = limited[0];
        Assert.True(rejected.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal("application/problem+json", rejected.Content.Headers.ContentType?.MediaType);
        var problem = await rejected.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal(429, problem.GetProperty("status").GetInt32());
        responses.ForEach(response => response.Dispose());
    }

    [Fact]
    public async Task A_CORS_preflight_from_an_unlisted_origin_is_refused_and_a_listed_one_is_allowed()
    {
        using var gateway = boxoffice.CreateGatewayClient();

        using var unlisted = await gateway.SendAsync(Preflight("https://evil.example"), TestContext.Current.CancellationToken);
        using var listed = await gateway.SendAsync(Preflight("http://localhost:5173"), TestContext.Current.CancellationToken);

        Assert.False(unlisted.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Equal("http://localhost:5173", Assert.Single(listed.Headers.GetValues("Access-Control-Allow-Origin")));
    }

    [Theory]
    [InlineData("order-42.retry_1", true)]
    [InlineData("has spaces", false)]
    [InlineData("<script>", false)]
    [InlineData("", false)]
    public async Task The_request_id_is_kept_when_sane_and_replaced_otherwise(string sent, bool kept)
    {
        using var gateway = boxoffice.CreateGatewayClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/catalog/events");
        if (sent.Length > 0)
        {
            request.Headers.TryAddWithoutValidation("X-Request-Id", sent);
        }

        using var response = await gateway.SendAsync(request, TestContext.Current.CancellationToken);

        var returned = Assert.Single(response.Headers.GetValues("X-Request-Id"));
        Assert.Matches("^[A-Za-z0-9._-]{1,64}$", returned);
        Assert.Equal(kept, returned == sent);
    }

    private static HttpRequestMessage Preflight(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/api/catalog/events");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "GET");
        return request;
    }
}
