using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Boxoffice.Tests.Gateway;

/// <summary>The gateway is the only public entry: requests under /api/{service} reach that service.</summary>
[Collection<RunningApp>]
public sealed class GatewayRoutingTests(BoxofficeApp boxoffice)
{
    [Fact]
    public async Task A_catalog_request_through_the_gateway_reads_the_catalog_database()
    {
        var name = $"Gateway routing check {Guid.NewGuid():N}";
        using (var organizer = await Catalog.Organizer.NewAsync(boxoffice))
        {
            await organizer.EventAsync(name, "publish");
        }

        using var gateway = boxoffice.CreateGatewayClient();
        using var response = await gateway.GetAsync($"/api/catalog/events?q={Uri.EscapeDataString(name)}", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Contains(page.GetProperty("items").EnumerateArray(), item => item.GetProperty("name").GetString() == name);
    }

    [Fact]
    public async Task A_page_past_the_last_is_empty_but_still_counts_every_listed_event()
    {
        var name = $"Deep page check {Guid.NewGuid():N}";
        using (var organizer = await Catalog.Organizer.NewAsync(boxoffice))
        {
            await organizer.EventAsync(name, "publish");
        }

        using var gateway = boxoffice.CreateGatewayClient();

        // The deepest page the list has: 10 × 100 is its 1,000 events.
        var beyond = await gateway.GetFromJsonAsync<JsonElement>($"/api/catalog/events?page=10&pageSize=100&q={Uri.EscapeDataString(name)}", TestContext.Current.CancellationToken);

        Assert.Empty(beyond.GetProperty("items").EnumerateArray());
        Assert.Equal(1, beyond.GetProperty("total").GetInt64());
        Assert.Equal(10, beyond.GetProperty("page").GetInt32());
    }

    [Theory]
    [InlineData("page=abc", "page")]
    [InlineData("page=0", "page")]
    [InlineData("page=99999999999", "page")]
    [InlineData("page=1001", "page")]
    [InlineData("page=11&pageSize=100", "page")]
    [InlineData("page=501&pageSize=2", "page")]
    [InlineData("pageSize=101", "pageSize")]
    [InlineData("pageSize=-1", "pageSize")]
    [InlineData("pageSize=%27%3B%20DROP%20TABLE%20events%3B--", "pageSize")]
    [InlineData("q=rock%00roll", "\"q\"")]
    [InlineData("city=Por%00to", "\"city\"")]
    public async Task Malformed_query_values_get_a_problem_400_naming_the_parameter(string query, string parameter)
    {
        using var gateway = boxoffice.CreateGatewayClient();

        using var response = await gateway.GetAsync($"/api/catalog/events?{query}", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains(parameter, body);
        Assert.DoesNotContain("Exception", body);
    }

    [Theory]
    [InlineData("/api/nowhere/events")]
    [InlineData("/organizer/events")]
    [InlineData("/api/catalog/no-such-thing")]
    public async Task Paths_no_route_serves_get_401_anonymously_and_404_with_a_token(string path)
    {
        using var gateway = boxoffice.CreateGatewayClient();
        var token = await Edge.Tokens.ClientCredentialsAsync(boxoffice, "catalog.read");

        using var anonymous = await gateway.GetAsync(path, TestContext.Current.CancellationToken);
        using var authenticated = await gateway.SendAsync(Edge.Tokens.Get(path, token), TestContext.Current.CancellationToken);

        // Deny by default: without a token nothing tells which paths exist.
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, authenticated.StatusCode);
    }

    [Fact]
    public async Task A_services_own_path_at_the_root_reaches_the_storefronts_pages_not_the_service()
    {
        using var gateway = boxoffice.CreateGatewayClient();

        // /events is the catalog's list inside, and the storefront's page space outside.
        using var list = await gateway.GetAsync("/events", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, list.StatusCode);
        Assert.Equal("text/html", list.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("\"items\"", await list.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/alive")]
    [InlineData("/metrics")]
    [InlineData("/HEALTH")]
    [InlineData("/metrics/anything")]
    public async Task The_gateways_probes_and_metrics_are_on_its_management_port_and_not_on_the_public_one(string path)
    {
        using var gateway = boxoffice.CreateGatewayClient();
        using var management = new HttpClient { BaseAddress = boxoffice.App.GetEndpoint("gateway", "management") };

        using var publicly = await gateway.GetAsync(path, TestContext.Current.CancellationToken);
        using var inside = await management.GetAsync(path.ToLowerInvariant() == "/metrics/anything" ? "/metrics" : path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, publicly.StatusCode);
        Assert.Equal("application/problem+json", publicly.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, inside.StatusCode);
    }

    [Fact]
    public async Task The_gateway_exposes_Prometheus_metrics_on_its_management_port_and_nothing_else_there()
    {
        using var management = new HttpClient { BaseAddress = boxoffice.App.GetEndpoint("gateway", "management") };

        var metrics = await management.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        Assert.Equal("Healthy", await management.GetStringAsync("/health", TestContext.Current.CancellationToken));
        using var proxied = await management.GetAsync("/api/catalog/events", TestContext.Current.CancellationToken);
        using var discovery = await management.GetAsync("/.well-known/openid-configuration", TestContext.Current.CancellationToken);

        Assert.Contains("# TYPE", metrics);
        Assert.Contains("service_name=\"gateway\"", metrics);
        Assert.Equal(HttpStatusCode.NotFound, proxied.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, discovery.StatusCode);
    }
}
