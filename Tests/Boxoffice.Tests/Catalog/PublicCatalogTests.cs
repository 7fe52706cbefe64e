using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Boxoffice.Tests.Catalog;

/// <summary>What buyers read without signing in: the bill, an event, its seat map; cached, with validators.</summary>
[Collection<RunningApp>]
public sealed class PublicCatalogTests(BoxofficeApp boxoffice)
{
    [Fact]
    public async Task A_published_event_is_readable_anonymously_with_its_venue_tiers_and_seat_map()
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        var id = await organizer.EventAsync("Public detail", "publish");
        using var gateway = boxoffice.CreateGatewayClient();

        var detail = await gateway.GetFromJsonAsync<JsonElement>($"/api/catalog/events/{id}", TestContext.Current.CancellationToken);
        var seatMap = await gateway.GetFromJsonAsync<JsonElement>($"/api/catalog/events/{id}/seatmap", TestContext.Current.CancellationToken);

        Assert.Equal("Public detail", detail.GetProperty("name").GetString());
        Assert.Equal("published", detail.GetProperty("status").GetString());
        Assert.Equal("Coliseu", detail.GetProperty("venue").GetProperty("name").GetString());
        Assert.Equal(45.50m, detail.GetProperty("tiers")[0].GetProperty("price").GetDecimal());
        Assert.Equal(304, seatMap.GetProperty("capacity").GetInt32());
        var sections = seatMap.GetProperty("sections").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
        Assert.Equal(10, sections["Stalls"].GetProperty("rows").GetArrayLength());
        Assert.Equal("general-admission", sections["Floor"].GetProperty("kind").GetString());
        Assert.Equal(detail.GetProperty("tiers")[1].GetProperty("id").GetGuid(), sections["Floor"].GetProperty("tierId").GetGuid());
        Assert.Equal(JsonValueKind.Null, sections["Box"].GetProperty("tierId").ValueKind);
    }

    [Fact]
    public async Task Drafts_even_cancelled_ones_are_not_public_and_unknown_or_malformed_ids_get_a_404_problem()
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        var draft = await organizer.CreateEventAsync();
        var cancelledDraft = await organizer.EventAsync(null, "cancel");
        using var gateway = boxoffice.CreateGatewayClient();

        foreach (var path in new[]
        {
            $"/api/catalog/events/{draft}", $"/api/catalog/events/{draft}/seatmap", $"/api/catalog/events/{cancelledDraft}",
            $"/api/catalog/events/{Guid.NewGuid()}", "/api/catalog/events/not-an-id", "/api/catalog/events/1%27%20OR%201=1/seatmap",
        })
        {
            using var response = await gateway.GetAsync(path, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        var list = await gateway.GetFromJsonAsync<JsonElement>("/api/catalog/events?pageSize=100&city=Porto", TestContext.Current.CancellationToken);
        Assert.DoesNotContain(list.GetProperty("items").EnumerateArray(), item => item.GetProperty("id").GetGuid() == draft);
    }

    [Fact]
    public async Task An_unchanged_event_answers_304_to_its_ETag_and_a_change_gives_a_new_one()
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        var id = await organizer.EventAsync(null, "publish");
        using var gateway = boxoffice.CreateGatewayClient();

        using var first = await gateway.GetAsync($"/api/catalog/events/{id}", TestContext.Current.CancellationToken);
        var eTag = first.Headers.ETag;
        using var again = await gateway.SendAsync(Conditional($"/api/catalog/events/{id}", eTag!), TestContext.Current.CancellationToken);
        await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/organizer/events/{id}/open-sale");
        // The replica that made the change forgets at once; the other when the change reaches it
        // through Kafka (A_change_made_through_one_replica_is_seen_through_every_replica_at_once).
        var changed = await gateway.SendAsync(Conditional($"/api/catalog/events/{id}", eTag!), TestContext.Current.CancellationToken);
        for (var tries = 0; changed.StatusCode == HttpStatusCode.NotModified && tries < 50; tries++)
        {
            changed.Dispose();
            await Task.Delay(100, TestContext.Current.CancellationToken);
            changed = await gateway.SendAsync(Conditional($"/api/catalog/events/{id}", eTag!), TestContext.Current.CancellationToken);
        }

        using var _ = changed;

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.NotNull(eTag);
        Assert.False(eTag.IsWeak);
        Assert.True(first.Headers.CacheControl?.Public);
        Assert.NotNull(first.Headers.CacheControl?.MaxAge);
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        Assert.Empty(await again.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        Assert.Equal(eTag, again.Headers.ETag);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(eTag, changed.Headers.ETag);
        Assert.Equal("on-sale", (await changed.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_change_made_through_one_replica_is_seen_through_every_replica_at_once()
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        var id = await organizer.EventAsync(null, "publish");
        using var gateway = boxoffice.CreateGatewayClient();

        // Both replicas (requests alternate between them) cache the published state for a minute.
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal("published", await StatusAsync(gateway, id));
        }

        await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/organizer/events/{id}/open-sale");

        // The replica that made the change forgets at once, the other when the event reaches it
        // through Kafka: well before the in-memory entry would expire.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var consecutive = 0;
        while (consecutive < 6)
        {
            Assert.True(DateTime.UtcNow < deadline, "A replica still served the old state 10 s after the change.");
            consecutive = await StatusAsync(gateway, id) == "on-sale" ? consecutive + 1 : 0;
            if (consecutive == 0)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }
    }

    [Fact]
    public async Task The_bill_filters_by_city_text_and_date_and_leaves_out_drafts_and_cancelled_events()
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        var tag = Guid.NewGuid().ToString("N")[..10];
        var venue = await organizer.CreateVenueAsync(new { name = "Teatro", city = $"Braga-{tag}", sections = new[] { new { name = "Floor", kind = "general-admission", capacity = 10 } } });
        var tiers = new[] { new { name = "All", price = 10m, sections = new[] { "Floor" } } };
        async Task<Guid> Create(string name, int days, params string[] actions)
        {
            var body = new { venueId = venue, name, startsAt = DateTimeOffset.UtcNow.AddDays(days), saleOpensAt = DateTimeOffset.UtcNow, saleClosesAt = DateTimeOffset.UtcNow.AddDays(days - 1), currency = "EUR", tiers };
            var id = (await organizer.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/organizer/events", body)).GetProperty("id").GetGuid();
            foreach (var action in actions)
            {
                await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/organizer/events/{id}/{action}");
            }

            return id;
        }

        var soon = await Create($"Jazz 100% {tag}", 10, "publish");
        var later = await Create($"Fado {tag}", 40, "publish", "open-sale");
        await Create($"Draft {tag}", 20);
        await Create($"Cancelled {tag}", 30, "publish", "cancel");
        using var gateway = boxoffice.CreateGatewayClient();

        var inCity = await IdsAsync(gateway, $"city=braga-{tag}");
        var byText = await IdsAsync(gateway, $"q={Uri.EscapeDataString("100%")}&city=Braga-{tag}");
        var wildcard = await IdsAsync(gateway, $"q=%25&city=Braga-{tag}");
        var fromDay20 = await IdsAsync(gateway, $"city=Braga-{tag}&from={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddDays(20).ToString("O"))}");

        Assert.Equal([soon, later], inCity);
        Assert.Equal([soon], byText);
        Assert.Equal([soon], wildcard);
        Assert.Equal([later], fromDay20);
    }

    [Fact]
    public async Task The_catalogs_OpenAPI_document_is_public_through_the_gateway_and_names_the_gateway_as_server()
    {
        using var gateway = boxoffice.CreateGatewayClient();

        var document = await gateway.GetFromJsonAsync<JsonElement>("/api/catalog/openapi/v1.json", TestContext.Current.CancellationToken);

        Assert.StartsWith("3.", document.GetProperty("openapi").GetString());
        var paths = document.GetProperty("paths");
        foreach (var path in new[] { "/events", "/events/{id}", "/events/{id}/seatmap", "/organizer/venues", "/organizer/events", "/organizer/events/{id}/publish", "/organizer/events/{id}/ticket-limit" })
        {
            Assert.True(paths.TryGetProperty(path, out _) || paths.TryGetProperty(path + "/", out _), $"The document lacks {path}");
        }

        // The ticket limit's bounds are the document's too, in an event's body and in its own.
        Assert.All(["EventRequest", "TicketLimitRequest"], schema =>
        {
            var ticketLimit = document.GetProperty("components").GetProperty("schemas").GetProperty(schema).GetProperty("properties").GetProperty("ticketLimit");
            Assert.Equal((1, 10), (ticketLimit.GetProperty("minimum").GetInt32(), ticketLimit.GetProperty("maximum").GetInt32()));
        });

        Assert.EndsWith("/api/catalog", document.GetProperty("servers")[0].GetProperty("url").GetString());
    }

    [Fact]
    public async Task In_run_mode_the_catalog_serves_an_API_reference_page_for_its_document()
    {
        // The dashboard links to it; it is on the catalog's own address, not public.
        using var catalog = new HttpClient { BaseAddress = boxoffice.App.GetEndpoint("catalog", "http") };

        using var page = await catalog.GetAsync("/scalar", TestContext.Current.CancellationToken);
        var html = await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Scalar", html);
        Assert.Contains("openapi", html, StringComparison.OrdinalIgnoreCase);
    }

    private static HttpRequestMessage Conditional(string path, EntityTagHeaderValue eTag)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.IfNoneMatch.Add(eTag);
        return request;
    }

    private static async Task<string?> StatusAsync(HttpClient gateway, Guid id) =>
        (await gateway.GetFromJsonAsync<JsonElement>($"/api/catalog/events/{id}", TestContext.Current.CancellationToken)).GetProperty("status").GetString();

    private static async Task<List<Guid>> IdsAsync(HttpClient gateway, string query)
    {
        var page = await gateway.GetFromJsonAsync<JsonElement>($"/api/catalog/events?pageSize=100&{query}", TestContext.Current.CancellationToken);
        return [.. page.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("id").GetGuid())];
    }
}
