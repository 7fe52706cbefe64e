using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Boxoffice.AppHost;

/// <summary>
/// Something to buy on a developer's first run: once the gateway is ready, two events on sale at a
/// demo venue, made through the public API as the organizers' back office would (client
/// credentials, create, publish, open the sale): one sells directly, one through a waiting room.
/// Run mode only, once per data folder (an event of that name already there: nothing to do), and
/// off with <c>Demo:Sales=false</c> (the tests and the harness start from an empty catalog).
/// </summary>
internal static class DemoSales
{
    private const string Marker = "Boxoffice demo";

    public static void AddDemoSales(this IDistributedApplicationBuilder builder, IResourceBuilder<ProjectResource> gateway, IResourceBuilder<ParameterResource> backofficeSecret)
    {
        if (!builder.ExecutionContext.IsRunMode || !builder.Configuration.GetValue("Demo:Sales", true))
        {
            return;
        }

        builder.Eventing.Subscribe<ResourceReadyEvent>(gateway.Resource, (ready, cancellationToken) =>
        {
            var logger = ready.Services.GetRequiredService<ResourceLoggerService>().GetLogger(gateway.Resource);
            // In the background: the dashboard shows the gateway ready at once.
            _ = Task.Run(() => SeedAsync(gateway.GetEndpoint("http").Url, backofficeSecret.Resource, logger, CancellationToken.None), CancellationToken.None);
            return Task.CompletedTask;
        });
    }

    private static async Task SeedAsync(string gatewayUrl, ParameterResource secret, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(gatewayUrl), Timeout = TimeSpan.FromSeconds(30) };
            using var token = await http.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["client_id"] = "organizer-backoffice",
                ["client_secret"] = await secret.GetValueAsync(cancellationToken) ?? "",
                ["scope"] = "catalog.read catalog.write",
            }), cancellationToken);
            token.EnsureSuccessStatusCode();
            var accessToken = (await token.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("access_token").GetString();
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);

            var existing = await http.GetFromJsonAsync<JsonElement>("/api/catalog/organizer/events?limit=100", cancellationToken);
            if (existing.EnumerateArray().Any(item => item.GetProperty("name").GetString()?.StartsWith(Marker, StringComparison.Ordinal) == true))
            {
                return;
            }

            var venue = await CreateAsync(http, "/api/catalog/organizer/venues", new
            {
                name = "Coliseu (demo)",
                city = "Porto",
                address = "Rua de Passos Manuel 137",
                sections = new object[]
                {
                    new { name = "Stalls", kind = "seated", rows = Enumerable.Range(0, 8).Select(row => new { label = ((char)('A' + row)).ToString(), seats = 16 }) },
                    new { name = "Floor", kind = "general-admission", capacity = 300 },
                },
            }, cancellationToken);
            var now = DateTimeOffset.UtcNow;
            foreach (var (name, waitingRoom) in new[] { ($"{Marker}: fado night", (object?)null), ($"{Marker}: flash sale with a waiting room", new { admitPerSecond = 20 }) })
            {
                var id = await CreateAsync(http, "/api/catalog/organizer/events", new
                {
                    venueId = venue,
                    name,
                    description = "A demo event the AppHost puts on sale in development, so there is something to buy. Payments go to the stand-in provider: nothing is charged.",
                    startsAt = now.AddDays(30),
                    saleOpensAt = now.AddMinutes(-1),
                    saleClosesAt = now.AddDays(29),
                    currency = "EUR",
                    tiers = new object[]
                    {
                        new { name = "Stalls", price = 45.50m, sections = new[] { "Stalls" } },
                        new { name = "Floor", price = 30m, sections = new[] { "Floor" } },
                    },
                    waitingRoom,
                }, cancellationToken);
                foreach (var step in new[] { "publish", "open-sale" })
                {
                    using var moved = await http.PostAsync($"/api/catalog/organizer/events/{id}/{step}", null, cancellationToken);
                    moved.EnsureSuccessStatusCode();
                }
            }

            logger.LogInformation("Two demo events are on sale: open {Storefront}", gatewayUrl + "/");
        }
        catch (Exception failure) when (failure is HttpRequestException or JsonException or TaskCanceledException or InvalidOperationException or KeyNotFoundException)
        {
            logger.LogWarning("The demo events were not created: {Reason}", failure.Message);
        }
    }

    private static async Task<Guid> CreateAsync(HttpClient http, string path, object body, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync(path, body, cancellationToken);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("id").GetGuid();
    }
}
