using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Boxoffice.Tests.Edge;

namespace Boxoffice.Tests.Catalog;

/// <summary>
/// An organizer of their own (a fresh subject, so a rate-limit bucket of their own too) calling
/// the catalog through the gateway with a token signed by the identity server's key.
/// </summary>
internal sealed class Organizer : IDisposable
{
    private readonly string _token;

    private Organizer(BoxofficeApp boxoffice, string id, string token)
    {
        Id = id;
        _token = token;
        Gateway = boxoffice.CreateGatewayClient();
    }

    public string Id { get; }

    public HttpClient Gateway { get; }

    public static async Task<Organizer> NewAsync(BoxofficeApp boxoffice)
    {
        var id = $"organizer-{Guid.NewGuid():N}";
        var token = Tokens.Mint(await Tokens.SigningKeyAsync(boxoffice), await Tokens.IssuerAsync(boxoffice), id, "catalog.read catalog.write", ["organizer"]);
        return new Organizer(boxoffice, id, token);
    }

    /// <summary>An organizer signed in for real (a token from the identity server).</summary>
    public static Organizer SignedIn(BoxofficeApp boxoffice, string accessToken) =>
        new(boxoffice, new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(accessToken).Subject, accessToken);

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, "/api/catalog" + path);
        request.Headers.Authorization = new("Bearer", _token);
        request.Content = body switch
        {
            null => null,
            HttpContent content => content,
            string json => new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
            _ => JsonContent.Create(body),
        };
        return await Gateway.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public async Task<JsonElement> ExpectAsync(HttpStatusCode status, HttpMethod method, string path, object? body = null)
    {
        using var response = await SendAsync(method, path, body);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == status, $"{method} {path}: expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Stalls: 10 rows (A–J) of 20 seats; Floor: 100 standing places; Box: 4 seats nobody prices.</summary>
    public static object Venue(string? name = null) => new
    {
        name = name ?? "Coliseu",
        city = "Porto",
        address = "Rua de Passos Manuel 137",
        sections = new object[]
        {
            new { name = "Stalls", kind = "seated", rows = Enumerable.Range(0, 10).Select(i => new { label = ((char)('A' + i)).ToString(), seats = 20 }) },
            new { name = "Floor", kind = "general-admission", capacity = 100 },
            new { name = "Box", kind = "seated", rows = new[] { new { label = "1", seats = 4 } } },
        },
    };

    /// <summary>An event's body; <paramref name="ticketLimit"/> null: the event has none (booking's own cap).</summary>
    public static object Event(Guid venueId, string? name = null, string city = "Porto", int? ticketLimit = null) => new
    {
        venueId,
        name = name ?? $"Concert {Guid.NewGuid():N}",
        description = "An evening of music.",
        startsAt = DateTimeOffset.UtcNow.AddDays(60),
        saleOpensAt = DateTimeOffset.UtcNow.AddMinutes(-1),
        saleClosesAt = DateTimeOffset.UtcNow.AddDays(59),
        currency = "EUR",
        tiers = new object[]
        {
            new { name = "Seated", price = 45.50m, sections = new[] { "Stalls" } },
            new { name = "Standing", price = 30m, sections = new[] { "floor" } },
        },
        ticketLimit,
    };

    public async Task<Guid> CreateVenueAsync(object? venue = null) =>
        (await ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/organizer/venues", venue ?? Venue())).GetProperty("id").GetGuid();

    public async Task<Guid> CreateEventAsync(Guid? venueId = null, string? name = null) =>
        (await ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/organizer/events", Event(venueId ?? await CreateVenueAsync(), name))).GetProperty("id").GetGuid();

    /// <summary>A new event taken through <paramref name="actions"/> (such as publish, open-sale).</summary>
    public async Task<Guid> EventAsync(string? name = null, params string[] actions)
    {
        var id = await CreateEventAsync(name: name);
        foreach (var action in actions)
        {
            await ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/organizer/events/{id}/{action}");
        }

        return id;
    }

    public void Dispose() => Gateway.Dispose();
}
