using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Boxoffice.FlashSale;

/// <summary>The sale under test: an event of one standing tier, as booking sells it.</summary>
public sealed record Sale(Guid EventId, Guid TierId, int Seats);

/// <summary>What happens before the doors open: the organizer sets up the sale, the crowd signs in.</summary>
internal static class SaleSetup
{
    /// <summary>
    /// The organizer's back office (client credentials) creates a venue with a standing area of
    /// <paramref name="seats"/> places and an event on it, publishes it and opens the sale; then we
    /// wait until booking, which learns of it from Kafka, answers "on-sale".
    /// </summary>
    public static async Task<Sale> OpenAsync(HttpClient gateway, SaleTarget target, int seats, CancellationToken cancellationToken)
    {
        var token = await TokenAsync(gateway, new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = "organizer-backoffice",
            ["client_secret"] = target.BackofficeSecret,
            ["scope"] = "catalog.write",
        }, cancellationToken) ?? throw new InvalidOperationException($"The organizer's back office (organizer-backoffice) got no token from {new Uri(gateway.BaseAddress!, "/connect/token")}: is the gateway up and the secret right?");

        var now = DateTimeOffset.UtcNow;
        var name = $"Flash sale {now:yyyy-MM-dd HH:mm:ss}";
        var venue = await PostAsync(gateway, token, "/api/catalog/organizer/venues", new
        {
            name = $"{name} arena",
            city = "Porto",
            sections = new object[] { new { name = "Floor", kind = "general-admission", capacity = seats } },
        }, cancellationToken);
        var created = await PostAsync(gateway, token, "/api/catalog/organizer/events", new
        {
            venueId = venue.GetProperty("id").GetGuid(),
            name,
            currency = "EUR",
            startsAt = now.AddDays(30),
            saleOpensAt = now.AddMinutes(-1),
            saleClosesAt = now.AddDays(29),
            tiers = new object[] { new { name = "Standing", price = 45.50m, sections = new[] { "Floor" } } },
        }, cancellationToken);
        var eventId = created.GetProperty("id").GetGuid();
        await PostAsync(gateway, token, $"/api/catalog/organizer/events/{eventId}/publish", null, cancellationToken);
        await PostAsync(gateway, token, $"/api/catalog/organizer/events/{eventId}/open-sale", null, cancellationToken);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(1));
        while (true)
        {
            using var response = await gateway.GetAsync($"/api/booking/events/{eventId}/availability", timeout.Token);
            if (response.IsSuccessStatusCode)
            {
                var availability = JsonDocument.Parse(await response.Content.ReadAsStringAsync(timeout.Token)).RootElement;
                var tier = availability.GetProperty("tiers")[0];
                if (availability.GetProperty("status").GetString() == "on-sale" && tier.GetProperty("available").GetInt32() == seats)
                {
                    return new Sale(eventId, tier.GetProperty("tierId").GetGuid(), seats);
                }
            }

            await Task.Delay(200, timeout.Token);
        }
    }

    /// <summary>
    /// Signs in <paramref name="count"/> synthetic buyers through the gateway with the documented
    /// machine client <c>flash-sale-crowd</c> (client credentials, <c>buyer=</c>): a real token each,
    /// from the real OAuth2 server, before the sale opens, as people sign in while they wait.
    /// </summary>
    public static async Task<string[]> SignInAsync(HttpClient gateway, SaleTarget target, string run, int count, Outcomes outcomes, CancellationToken cancellationToken)
    {
        var tokens = new string[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, token) =>
        {
            for (var attempt = 1; ; attempt++)
            {
                var issued = await TokenAsync(gateway, new Dictionary<string, string>
                {
                    ["grant_type"] = "client_credentials",
                    ["client_id"] = "flash-sale-crowd",
                    ["client_secret"] = target.CrowdSecret,
                    ["scope"] = "booking",
                    ["buyer"] = $"{run}-{i.ToString("D5", CultureInfo.InvariantCulture)}",
                }, token);
                if (issued is not null)
                {
                    tokens[i] = issued;
                    Interlocked.Increment(ref outcomes.SignedIn);
                    return;
                }

                if (attempt == 10)
                {
                    throw new InvalidOperationException("A buyer could not sign in after 10 attempts: is flash-sale-crowd configured (the AppHost's run mode does it)?");
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), token);
            }
        });
        return tokens;
    }

    private static async Task<string?> TokenAsync(HttpClient gateway, Dictionary<string, string> form, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await gateway.PostAsync("/connect/token", new FormUrlEncodedContent(form), cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            return JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken)).RootElement.GetProperty("access_token").GetString();
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static async Task<JsonElement> PostAsync(HttpClient gateway, string token, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new("Bearer", token);
        using var response = await gateway.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {text}");
        }

        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement;
    }
}
