using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Boxoffice.FlashSale;

/// <summary>
/// The sale under test: an event of one standing tier, as booking sells it. With a waiting room
/// (<see cref="WaitingRoom"/>), it opens at <see cref="OpensAt"/>: the pre-queue is shuffled and
/// admission begins; without, it is open when it is set up.
/// </summary>
public sealed record Sale(Guid EventId, Guid TierId, int Seats)
{
    public bool WaitingRoom { get; init; }

    public DateTimeOffset OpensAt { get; init; }
}

/// <summary>What happens before the doors open: the crowd signs in, the organizer sets up the sale.</summary>
internal static class SaleSetup
{
    /// <summary>
    /// The organizer's back office (client credentials) creates a venue with a standing area of
    /// <see cref="SaleOptions.Seats"/> places and an event on it, limited to
    /// <see cref="SaleOptions.MaxQuantity"/> places a buyer, publishes it and opens the sale; then we
    /// wait until booking, which learns of it from Kafka, answers "on-sale". With a waiting room
    /// (<see cref="SaleOptions.WaitingRoom"/>) the event is announced with one: its pre-queue is
    /// open already, the sale opens <see cref="SaleOptions.LobbyOrDefault"/> from now, and we also
    /// wait until the waiting room knows the queue.
    /// </summary>
    public static async Task<Sale> OpenAsync(HttpClient gateway, SaleTarget target, SaleOptions options, CancellationToken cancellationToken)
    {
        var seats = options.Seats;
        var token = (await TokenAsync(gateway, new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = "organizer-backoffice",
            ["client_secret"] = target.BackofficeSecret,
            ["scope"] = "catalog.write",
        }, cancellationToken)).Token ?? throw new InvalidOperationException($"The organizer's back office (organizer-backoffice) got no token from {new Uri(gateway.BaseAddress!, "/connect/token")}: is the gateway up and the secret right?");

        var now = DateTimeOffset.UtcNow;
        var opensAt = options.WaitingRoom ? now + options.LobbyOrDefault : now.AddMinutes(-1);
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
            saleOpensAt = opensAt,
            saleClosesAt = now.AddDays(29),
            tiers = new object[] { new { name = "Standing", price = 45.50m, sections = new[] { "Floor" } } },
            // "At most N per customer": what an honest buyer wants at most, so it caps the scalpers.
            ticketLimit = options.MaxQuantity,
            // The pre-queue opens before the lobby, so every buyer can join it while waiting for the opening.
            waitingRoom = options.WaitingRoom
                ? new
                {
                    prequeueOpensAt = now.AddMinutes(-1),
                    admitPerSecond = options.AdmitPerSecond,
                    admissionMinutes = options.AdmissionMinutes,
                    proofOfWorkBits = options.ProofOfWorkBits,
                }
                : null,
        }, cancellationToken);
        var eventId = created.GetProperty("id").GetGuid();
        if (created.TryGetProperty("saleOpensAt", out var stored))
        {
            opensAt = stored.GetDateTimeOffset();
        }

        await PostAsync(gateway, token, $"/api/catalog/organizer/events/{eventId}/publish", null, cancellationToken);
        await PostAsync(gateway, token, $"/api/catalog/organizer/events/{eventId}/open-sale", null, cancellationToken);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(1));
        var tierId = await OnSaleInBookingAsync(gateway, eventId, seats, timeout.Token);
        if (options.WaitingRoom)
        {
            await QueueKnownAsync(gateway, eventId, timeout.Token);
        }

        return new Sale(eventId, tierId, seats) { WaitingRoom = options.WaitingRoom, OpensAt = opensAt };
    }

    /// <summary>Until booking answers "on-sale" with every place free; the tier's id.</summary>
    private static async Task<Guid> OnSaleInBookingAsync(HttpClient gateway, Guid eventId, int seats, CancellationToken cancellationToken)
    {
        while (true)
        {
            using var response = await gateway.GetAsync($"/api/booking/events/{eventId}/availability", cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                var availability = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken)).RootElement;
                var tier = availability.GetProperty("tiers")[0];
                if (availability.GetProperty("status").GetString() == "on-sale" && tier.GetProperty("available").GetInt32() == seats)
                {
                    return tier.GetProperty("tierId").GetGuid();
                }
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    /// <summary>Until the waiting room, which learns of the event from Kafka too, answers for its queue (<c>GET /api/waiting-room/events/{id}</c>).</summary>
    private static async Task QueueKnownAsync(HttpClient gateway, Guid eventId, CancellationToken cancellationToken)
    {
        while (true)
        {
            using var response = await gateway.GetAsync($"/api/waiting-room/events/{eventId}", cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    /// <summary>Queue facts for the report's charts: buyers waiting and admitted so far, as the waiting room counts them; nulls when it does not answer.</summary>
    public static async Task<(long? Waiting, long? AdmittedTotal)> QueueInfoAsync(HttpClient gateway, Guid eventId, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await gateway.GetAsync($"/api/waiting-room/events/{eventId}", cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return (null, null);
            }

            var info = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken)).RootElement;
            return (Number(info, "waiting"), Number(info, "admittedTotal"));
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException or JsonException
            || (exception is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return (null, null);
        }

        static long? Number(JsonElement info, string name) =>
            info.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : null;
    }

    /// <summary>The synthetic buyer the crowd's <paramref name="index"/>-th member signs in as (<c>buyer=</c>).</summary>
    public static string BuyerName(string run, int index) => $"{run}-{index.ToString("D5", CultureInfo.InvariantCulture)}";

    /// <summary>Their token's subject, the buyer id booking records: <c>flash-sale-crowd:&lt;buyer&gt;</c>.</summary>
    public static string Subject(string run, int index) => $"flash-sale-crowd:{BuyerName(run, index)}";

    /// <summary>How long a buyer's app keeps trying to sign in while the server does not answer or fails (an identity replica killed under it).</summary>
    private static readonly TimeSpan SignInPatience = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Signs in <paramref name="count"/> synthetic buyers through the gateway with the documented
    /// machine client <c>flash-sale-crowd</c> (client credentials, <c>buyer=</c>): a real token each,
    /// from the real OAuth2 server, before the sale opens, as people sign in while they wait. A
    /// sign-in that gets no answer, a 5xx or a 429 is sent again for up to <see cref="SignInPatience"/>;
    /// one refused outright (a wrong secret, an unknown client) fails the run after 10 attempts.
    /// </summary>
    public static async Task<string[]> SignInAsync(HttpClient gateway, SaleTarget target, string run, int count, Outcomes outcomes, CancellationToken cancellationToken)
    {
        var tokens = new string[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, token) =>
        {
            var started = Stopwatch.GetTimestamp();
            for (int attempt = 1, refused = 0; ; attempt++)
            {
                var (issued, status) = await TokenAsync(gateway, new Dictionary<string, string>
                {
                    ["grant_type"] = "client_credentials",
                    ["client_id"] = "flash-sale-crowd",
                    ["client_secret"] = target.CrowdSecret,
                    ["scope"] = "booking",
                    ["buyer"] = BuyerName(run, i),
                }, token);
                if (issued is not null)
                {
                    tokens[i] = issued;
                    Interlocked.Increment(ref outcomes.SignedIn);
                    return;
                }

                var retryable = status is 0 or 429 or >= 500;
                if (retryable ? Stopwatch.GetElapsedTime(started) > SignInPatience : ++refused == 10)
                {
                    throw new InvalidOperationException(retryable
                        ? $"A buyer could not sign in within {SignInPatience.TotalMinutes:F0} min: the token endpoint kept failing (last status {status})."
                        : $"A buyer could not sign in after 10 attempts (status {status}): is flash-sale-crowd configured (the AppHost's run mode does it)?");
                }

                Interlocked.Increment(ref outcomes.SignInRetries);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 200 * attempt) * (1 + Random.Shared.NextDouble())), token);
            }
        });
        return tokens;
    }

    /// <summary>A token, or null and the status (0: no answer: a broken connection or a timeout).</summary>
    private static async Task<(string? Token, int Status)> TokenAsync(HttpClient gateway, Dictionary<string, string> form, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await gateway.PostAsync("/connect/token", new FormUrlEncodedContent(form), cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return (null, (int)response.StatusCode);
            }

            return (JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken)).RootElement.GetProperty("access_token").GetString(), 200);
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException
            || (exception is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return (null, 0);
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
