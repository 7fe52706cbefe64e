using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Boxoffice.Tests.Edge;

namespace Boxoffice.Tests.Booking;

/// <summary>
/// A caller of booking through the gateway with a token of their own (a fresh subject, so a
/// rate-limit bucket of their own too): a buyer by default, or door staff.
/// </summary>
internal sealed class Buyer : IDisposable
{
    private readonly string _token;

    private Buyer(BoxofficeApp boxoffice, string id, string token)
    {
        Id = id;
        _token = token;
        Gateway = boxoffice.CreateGatewayClient();
    }

    public string Id { get; }

    public HttpClient Gateway { get; }

    // Read once per run: a crowd of buyers must not each open connections to identitydb.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<BoxofficeApp, Task<(Microsoft.IdentityModel.Tokens.SecurityKey Key, string Issuer)>> Signing = new();

    public static async Task<Buyer> NewAsync(BoxofficeApp boxoffice, string scope = "booking", string role = "buyer", string[]? worksFor = null)
    {
        var id = $"{role}-{Guid.NewGuid():N}";
        var (key, issuer) = await Signing.GetValue(boxoffice, static app => LoadAsync(app));
        return new Buyer(boxoffice, id, Tokens.Mint(key, issuer, id, scope, [role], worksFor: worksFor));

        static async Task<(Microsoft.IdentityModel.Tokens.SecurityKey, string)> LoadAsync(BoxofficeApp app) =>
            (await Tokens.SigningKeyAsync(app), await Tokens.IssuerAsync(app));
    }

    /// <summary>Door staff who work what <paramref name="worksFor"/> names (<c>event:{id}</c>, <c>organizer:{id}</c>): its token's <c>works_for</c>.</summary>
    public static Task<Buyer> StaffAsync(BoxofficeApp boxoffice, params string[] worksFor) => NewAsync(boxoffice, "checkin", "staff", worksFor);

    /// <summary>Door staff of <paramref name="sale"/>'s event.</summary>
    public static Task<Buyer> StaffAsync(BoxofficeApp boxoffice, Sale sale) => StaffAsync(boxoffice, $"event:{sale.EventId}");

    /// <summary>Someone signed in for real (a token from the identity server): a buyer, or door staff.</summary>
    public static Buyer SignedIn(BoxofficeApp boxoffice, string accessToken) =>
        new(boxoffice, new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(accessToken).Subject, accessToken);

    /// <summary>Signs <paramref name="request"/> as this buyer: for routes outside booking, such as the waiting room's.</summary>
    public void Authorize(HttpRequestMessage request) => request.Headers.Authorization = new("Bearer", _token);

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(method, "/api/booking" + path);
        Authorize(request);
        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        request.Content = body switch
        {
            null => null,
            HttpContent content => content,
            string json => new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
            _ => JsonContent.Create(body),
        };
        return await Gateway.SendAsync(request, cancellationToken == default ? TestContext.Current.CancellationToken : cancellationToken);
    }

    public async Task<JsonElement> ExpectAsync(HttpStatusCode status, HttpMethod method, string path, object? body = null, string? idempotencyKey = null)
    {
        using var response = await SendAsync(method, path, body, idempotencyKey);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == status, $"{method} {path}: expected {(int)status}, got {(int)response.StatusCode}: {text}");
        if (status >= HttpStatusCode.BadRequest)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public Task<JsonElement> HoldAsync(Sale sale, int quantity = 1, Guid? tierId = null, string? idempotencyKey = null) =>
        ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/events/{sale.EventId}/holds", new { tierId = tierId ?? sale.StandingTierId, quantity }, idempotencyKey);

    public async Task<Guid> OrderAsync(Guid holdId) =>
        (await ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/orders", new { holdId })).GetProperty("orderId").GetGuid();

    /// <summary>Polls the order until it leaves pending-payment, every 0.5 s (faster than booking's Retry-After asks, for the tests' time); returns it.</summary>
    public async Task<JsonElement> SettledOrderAsync(Guid orderId, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            using var response = await SendAsync(HttpMethod.Get, $"/orders/{orderId}");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var order = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.Clone();
                if (order.GetProperty("status").GetString() != "pending-payment")
                {
                    return order;
                }
            }
            else
            {
                // Polling may meet the buyer's rate limit; wait as a client would.
                Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            }

            Assert.True(DateTime.UtcNow < deadline, $"Order {orderId} was still pending payment after {timeout ?? TimeSpan.FromSeconds(60)}.");
            await Task.Delay(500, TestContext.Current.CancellationToken);
        }
    }

    public void Dispose() => Gateway.Dispose();
}

/// <summary>
/// An event on sale: a venue with 20 seats (Stalls rows A and B) and a standing area, published
/// and opened through the catalog, and known to booking; with the organizer's
/// <c>ticketLimit</c> when one is given.
/// </summary>
internal sealed record Sale(Guid EventId, Guid SeatedTierId, Guid StandingTierId, int StandingPlaces)
{
    public static async Task<Sale> OpenAsync(BoxofficeApp boxoffice, int standingPlaces = 100, Catalog.Organizer? by = null, int? ticketLimit = null)
    {
        using var own = by is null ? await Catalog.Organizer.NewAsync(boxoffice) : null;
        var organizer = by ?? own!;
        var venueId = await organizer.CreateVenueAsync(new
        {
            name = "Hall",
            city = "Lisbon",
            address = "Avenida 1",
            sections = new object[]
            {
                new { name = "Stalls", kind = "seated", rows = new[] { new { label = "A", seats = 10 }, new { label = "B", seats = 10 } } },
                new { name = "Floor", kind = "general-admission", capacity = standingPlaces },
            },
        });
        var created = await organizer.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/organizer/events", Catalog.Organizer.Event(venueId, ticketLimit: ticketLimit));
        var eventId = created.GetProperty("id").GetGuid();
        var tiers = created.GetProperty("tiers").EnumerateArray().ToDictionary(tier => tier.GetProperty("name").GetString()!, tier => tier.GetProperty("id").GetGuid());
        await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/organizer/events/{eventId}/publish");
        await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/organizer/events/{eventId}/open-sale");

        // Booking learns of the sale through Kafka: wait until it sells.
        using var client = boxoffice.CreateGatewayClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var response = await client.GetAsync($"/api/booking/events/{eventId}/availability", TestContext.Current.CancellationToken);
            if (response.StatusCode == HttpStatusCode.OK
                && JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("status").GetString() == "on-sale")
            {
                return new Sale(eventId, tiers["Seated"], tiers["Standing"], standingPlaces);
            }

            Assert.True(DateTime.UtcNow < deadline, $"Booking did not put event {eventId} on sale within 60 s.");
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
    }
}
