using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Boxoffice.Tests.Payments;

/// <summary>
/// The provider's list of charges for reconciliation (<c>GET /charges</c>), called directly: it
/// wants the API key, names every malformed parameter in one RFC 9457 400 (never a 500), and pages
/// through a window of creation times in id order, each charge once.
/// </summary>
[Collection<RunningApp>]
public sealed class ProviderListBadInputTests(BoxofficeApp boxoffice)
{
    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    public async Task The_list_wants_the_api_key(string? key)
    {
        using var provider = await Provider.ConnectAsync(boxoffice, key ?? "unused");
        if (key is null)
        {
            provider.Http.DefaultRequestHeaders.Authorization = null;
        }

        using var response = await provider.Http.GetAsync("/charges?limit=1", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("\"data\"", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> BadQueries => new()
    {
        { "zero", "limit=0", "limit" },
        { "over 500", "limit=501", "limit" },
        { "negative", "limit=-1", "limit" },
        { "a fraction", "limit=1.5", "limit" },
        { "a word", "limit=ten", "limit" },
        { "empty", "limit=", "limit" },
        { "overflow", "limit=99999999999999999999999", "limit" },
        { "repeated", "limit=1&limit=2", "limit" },
        { "not a time", "createdFrom=yesterday", "createdFrom" },
        { "no such day", "createdFrom=2026-02-30T00:00:00Z", "createdFrom" },
        { "markup", "createdBefore=%3Cscript%3Ealert(1)%3C%2Fscript%3E", "createdBefore" },
        { "NUL", "createdBefore=%00", "createdBefore" },
        { "long", "createdFrom=" + new string('9', 2000), "createdFrom" },
        { "out of range once in UTC", "createdFrom=0001-01-01T00:00:00%2B14:00", "createdFrom" },
        { "backward window", "createdFrom=2026-11-29T00:00:00Z&createdBefore=2026-11-28T00:00:00Z", "createdBefore" },
        { "empty window", "createdFrom=2026-11-28T00:00:00Z&createdBefore=2026-11-28T00:00:00Z", "createdBefore" },
        { "not an id", "startingAfter=ch_123", "startingAfter" },
        { "injection", "startingAfter=%27%3B%20DROP%20TABLE%20charges%3B%20--", "startingAfter" },
        { "no such charge", "startingAfter=" + Guid.NewGuid(), "startingAfter" },
    };

    [Theory]
    [MemberData(nameof(BadQueries))]
    public async Task A_malformed_query_is_a_400_that_names_the_parameter(string why, string query, string parameter)
    {
        using var provider = await Provider.ConnectAsync(boxoffice);

        using var response = await provider.Http.GetAsync($"/charges?{query}", TestContext.Current.CancellationToken);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{why}: {(int)response.StatusCode}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out _), $"{why}: {problem}");
    }

    [Fact]
    public async Task An_unknown_parameter_is_ignored()
    {
        using var provider = await Provider.ConnectAsync(boxoffice);

        using var response = await provider.Http.GetAsync("/charges?limit=1&colour=blue", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Pages_of_a_window_list_each_of_its_charges_once_in_creation_order()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var provider = await Provider.ConnectAsync(boxoffice);
        var from = DateTime.UtcNow.AddSeconds(-1);
        var keys = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var key = Guid.NewGuid().ToString();
            using var request = new HttpRequestMessage(HttpMethod.Post, "/charges") { Content = JsonContent.Create(new { amount = 10 + i, currency = "EUR", reference = $"list {i}" }) };
            request.Headers.Add("Idempotency-Key", key);
            using var made = await provider.Http.SendAsync(request, cancellationToken);
            Assert.Equal(HttpStatusCode.Created, made.StatusCode);
            keys.Add(key);
        }

        var before = DateTime.UtcNow.AddSeconds(1);
        var listed = new List<JsonElement>();
        string? startingAfter = null;
        for (var pages = 0; ; pages++)
        {
            Assert.True(pages < 100, "The pages never ended.");
            var query = $"/charges?createdFrom={Time(from)}&createdBefore={Time(before)}&limit=2" + (startingAfter is null ? "" : $"&startingAfter={startingAfter}");
            var page = await provider.Http.GetFromJsonAsync<JsonElement>(query, cancellationToken);
            var data = page.GetProperty("data").EnumerateArray().ToList();
            Assert.InRange(data.Count, 0, 2);
            listed.AddRange(data);
            if (!page.GetProperty("hasMore").GetBoolean())
            {
                break;
            }

            startingAfter = data[^1].GetProperty("id").GetString();
        }

        // Creation order, ties by id; PostgreSQL orders uuids as their canonical lower-case text orders.
        var ids = listed.Select(charge => charge.GetProperty("id").GetString()!).ToList();
        Assert.Equal(
            listed.OrderBy(charge => charge.GetProperty("createdAt").GetDateTimeOffset()).ThenBy(charge => charge.GetProperty("id").GetString(), StringComparer.Ordinal)
                .Select(charge => charge.GetProperty("id").GetString()!),
            ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        var ours = listed.Where(charge => keys.Contains(charge.GetProperty("idempotencyKey").GetString()!)).ToList();
        Assert.Equal(3, ours.Count);
        Assert.All(ours, charge =>
        {
            Assert.Equal("succeeded", charge.GetProperty("status").GetString());
            Assert.Equal("EUR", charge.GetProperty("currency").GetString());
            Assert.StartsWith("list ", charge.GetProperty("reference").GetString(), StringComparison.Ordinal);
            Assert.Equal(JsonValueKind.String, charge.GetProperty("completedAt").ValueKind);
            Assert.True(charge.TryGetProperty("refundedAmount", out _));
            Assert.False(charge.TryGetProperty("requestHash", out _));
        });
        Assert.All(listed, charge => Assert.InRange(charge.GetProperty("createdAt").GetDateTimeOffset(), new DateTimeOffset(from), new DateTimeOffset(before)));

        static string Time(DateTime time) => Uri.EscapeDataString(time.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture));
    }
}
