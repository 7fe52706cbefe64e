using System.Collections.Concurrent;
using System.Diagnostics;

namespace Boxoffice.FlashSale;

/// <summary>
/// The crowd at the opening minute. A buyer reads the event and its availability, holds places,
/// checks out and polls the order until it is decided, the way a buyer's app behaves: pauses to
/// think, the same Idempotency-Key on every retry of one click, Retry-After honoured, a released
/// hold when checkout cannot go on, another try when an order is cancelled. A few buyers are
/// hostile: scalper bots that hammer holds and ignore every limit, clients sending malformed
/// requests, and snoopers trying other buyers' hold and order ids.
/// </summary>
internal sealed class Crowd(Caller caller, Sale sale, SaleOptions options, Outcomes outcomes)
{
    /// <summary>
    /// How long an app keeps sending one click again while nothing or a 5xx comes back: past the
    /// longest outage the harness causes (PostgreSQL down 60 s), as a buyer's app that shows
    /// "trying again" rather than an error would.
    /// </summary>
    private static readonly TimeSpan ClickPatience = TimeSpan.FromMinutes(2);

    private readonly ConcurrentQueue<(string Kind, Guid Id)> _seenIds = new();

    private Caller Caller => caller;

    private Sale Sale => sale;

    private SaleOptions Options => options;

    private Outcomes Outcomes => outcomes;

    public Task RunBuyerAsync(int index, string token, CancellationToken cancellationToken) =>
        new Buyer(this, new Random(options.Seed + index), token).RunAsync(cancellationToken);

    public Task RunHostileAsync(int index, string token, CancellationToken cancellationToken)
    {
        var random = new Random(options.Seed + index);
        // One in five is a scalper bot: with the per-buyer cap, each bot identity can still take
        // a cap's worth, so a larger share would simply buy the sale.
        return (index % 5) switch
        {
            0 => ScalpAsync(random, token, cancellationToken),
            1 or 2 => MalformAsync(random, token, cancellationToken),
            _ => SnoopAsync(random, token, cancellationToken),
        };
    }

    private string Holds => $"/api/booking/events/{sale.EventId}/holds";

    private sealed class Buyer(Crowd crowd, Random random, string token)
    {
        private int _soldOutAnswers;

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            await Task.Delay(crowd.Options.Arrival * random.NextDouble(), cancellationToken);
            await crowd.Caller.SendAsync("GET event", HttpMethod.Get, $"/api/catalog/events/{crowd.Sale.EventId}", token, cancellationToken: cancellationToken);
            while (!cancellationToken.IsCancellationRequested)
            {
                var available = await AvailableAsync(cancellationToken);
                if (available == 0)
                {
                    if (!await StillHopefulAsync(cancellationToken))
                    {
                        return;
                    }

                    continue;
                }

                await ThinkAsync(cancellationToken);
                var quantity = Math.Min(Quantity(), available ?? int.MaxValue);
                var hold = await ClickAsync("POST hold", HttpMethod.Post, crowd.Holds, new { tierId = crowd.Sale.TierId, quantity }, cancellationToken);
                if (hold.Is(409, "sold-out") || hold.Is(409, "contended"))
                {
                    Interlocked.Increment(ref crowd.Outcomes.SoldOutAnswers);
                    if (!await StillHopefulAsync(cancellationToken))
                    {
                        return;
                    }

                    continue;
                }

                if (hold.Status != 201)
                {
                    return; // buyer-limit: this buyer already has theirs; anything else: the app shows the error.
                }

                Interlocked.Increment(ref crowd.Outcomes.Holds);
                var holdId = hold.Json.GetProperty("holdId").GetGuid();
                crowd._seenIds.Enqueue(("holds", holdId));
                await ThinkAsync(cancellationToken);
                if (random.NextDouble() < 0.03)
                {
                    // Changed their mind: the places go back at once.
                    await ClickAsync("DELETE hold", HttpMethod.Delete, $"/api/booking/holds/{holdId}", null, cancellationToken, key: false);
                    Interlocked.Increment(ref crowd.Outcomes.HoldsReleased);
                    return;
                }

                var order = await ClickAsync("POST order", HttpMethod.Post, "/api/booking/orders", new { holdId }, cancellationToken);
                if (order.Status != 201)
                {
                    // The hold expired or checkout failed for good: give the places back rather than leave them held.
                    await ClickAsync("DELETE hold", HttpMethod.Delete, $"/api/booking/holds/{holdId}", null, cancellationToken, key: false);
                    return;
                }

                Interlocked.Increment(ref crowd.Outcomes.Orders);
                var orderId = order.Json.GetProperty("orderId").GetGuid();
                crowd._seenIds.Enqueue(("orders", orderId));
                var status = await WaitForDecisionAsync(orderId, cancellationToken);
                if (status == "confirmed")
                {
                    Interlocked.Increment(ref crowd.Outcomes.Confirmed);
                    Interlocked.Add(ref crowd.Outcomes.UnitsBought, quantity);
                    await ClickAsync("GET tickets", HttpMethod.Get, $"/api/booking/orders/{orderId}/tickets", null, cancellationToken, key: false);
                    return;
                }

                if (status is null)
                {
                    Interlocked.Increment(ref crowd.Outcomes.Pending);
                    return;
                }

                // Declined or too late: the buyer tries again while places are left.
                Interlocked.Increment(ref crowd.Outcomes.Cancelled);
            }
        }

        private async Task<int?> AvailableAsync(CancellationToken cancellationToken)
        {
            var answer = await ClickAsync("GET availability", HttpMethod.Get, $"/api/booking/events/{crowd.Sale.EventId}/availability", null, cancellationToken, key: false);
            return answer.Status == 200 ? answer.Json.GetProperty("tiers")[0].GetProperty("available").GetInt32() : null;
        }

        /// <summary>Sold out for now: a buyer looks again a few times (a returned place may come back), then leaves.</summary>
        private async Task<bool> StillHopefulAsync(CancellationToken cancellationToken)
        {
            if (++_soldOutAnswers > crowd.Options.SoldOutRetries)
            {
                Interlocked.Increment(ref crowd.Outcomes.GaveUp);
                return false;
            }

            await Task.Delay(TimeSpan.FromSeconds(2 + (3 * random.NextDouble())), cancellationToken);
            return true;
        }

        /// <summary>Polls the order, as the app's "processing payment" screen does, until it is decided.</summary>
        private async Task<string?> WaitForDecisionAsync(Guid orderId, CancellationToken cancellationToken)
        {
            var deadline = DateTimeOffset.UtcNow + crowd.Options.OrderPatience;
            while (DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(400 + (400 * random.NextDouble())), cancellationToken);
                var order = await ClickAsync("GET order", HttpMethod.Get, $"/api/booking/orders/{orderId}", null, cancellationToken, key: false);
                if (order.Status == 200 && order.Json.GetProperty("status").GetString() is { } status and not "pending-payment")
                {
                    return status;
                }
            }

            return null;
        }

        /// <summary>
        /// One click: sent again with the same Idempotency-Key while no answer or a 5xx comes back
        /// (backing off to 4 s), after Retry-After on a 429 or a 503, for up to <see cref="ClickPatience"/>.
        /// </summary>
        private async Task<Answer> ClickAsync(string endpoint, HttpMethod method, string path, object? body, CancellationToken cancellationToken, bool key = true)
        {
            var idempotencyKey = key ? Guid.NewGuid().ToString() : null;
            var clicked = Stopwatch.GetTimestamp();
            for (var attempt = 1; ; attempt++)
            {
                var answer = await crowd.Caller.SendAsync(endpoint, method, path, token, body, idempotencyKey, cancellationToken: cancellationToken);
                if (!answer.Retryable || Stopwatch.GetElapsedTime(clicked) > ClickPatience)
                {
                    return answer;
                }

                var backoff = answer.RetryAfter ?? TimeSpan.FromMilliseconds(Math.Min(4000, 100 * (1 << Math.Min(attempt, 6))));
                await Task.Delay(backoff + TimeSpan.FromMilliseconds(250 * random.NextDouble()), cancellationToken);
            }
        }

        private Task ThinkAsync(CancellationToken cancellationToken) =>
            Task.Delay(crowd.Options.ThinkTime * random.NextDouble(), cancellationToken);

        /// <summary>Most people want two, some one, a few bring the family.</summary>
        private int Quantity() => Math.Min(crowd.Options.MaxQuantity, random.NextDouble() switch
        {
            < 0.30 => 1,
            < 0.75 => 2,
            < 0.90 => 3,
            _ => 4,
        });
    }

    /// <summary>
    /// A scalper bot: bursts of holds fired without waiting, far over the per-buyer cap, 429s
    /// ignored; then it orders what it got, as scalpers do (to resell). The cap and the rate limit
    /// must keep it to its share; the auditor checks no buyer owns more than the cap.
    /// </summary>
    private async Task ScalpAsync(Random random, string token, CancellationToken cancellationToken)
    {
        await Task.Delay(options.Arrival * random.NextDouble(), cancellationToken);
        var burst = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ =>
            Hostile("POST hold (scalper burst)", HttpMethod.Post, Holds, token, new { tierId = sale.TierId, quantity = 2 }, expected: null, cancellationToken)));
        foreach (var hold in burst.Where(answer => answer.Status == 201))
        {
            var holdId = hold.Json.GetProperty("holdId").GetGuid();
            var order = await caller.SendAsync("POST order", HttpMethod.Post, "/api/booking/orders", token, new { holdId }, Guid.NewGuid().ToString(), cancellationToken: cancellationToken);
            if (order.Status != 201)
            {
                await caller.SendAsync("DELETE hold", HttpMethod.Delete, $"/api/booking/holds/{holdId}", token, cancellationToken: cancellationToken);
            }
        }
    }

    /// <summary>A broken or malicious client: every request is wrong in its own way and must get a 4xx.</summary>
    private async Task MalformAsync(Random random, string token, CancellationToken cancellationToken)
    {
        await Task.Delay(options.Arrival * random.NextDouble(), cancellationToken);
        await Hostile("POST hold (bad JSON)", HttpMethod.Post, Holds, token, null, 400, cancellationToken, raw: "{\"tierId\": ");
        await Hostile("POST hold (quantity 0)", HttpMethod.Post, Holds, token, new { tierId = sale.TierId, quantity = 0 }, 400, cancellationToken);
        await Hostile("POST hold (quantity 1e9)", HttpMethod.Post, Holds, token, null, 400, cancellationToken, raw: $"{{\"tierId\":\"{sale.TierId}\",\"quantity\":1000000000000}}");
        await Hostile("POST hold (unknown tier)", HttpMethod.Post, Holds, token, new { tierId = Guid.NewGuid(), quantity = 1 }, 422, cancellationToken);
        await Hostile("POST hold (text/plain)", HttpMethod.Post, Holds, token, null, 415, cancellationToken, raw: "quantity=1", contentType: "text/plain");
        await Hostile("POST hold (no token)", HttpMethod.Post, Holds, null, new { tierId = sale.TierId, quantity = 1 }, 401, cancellationToken);
        await Hostile("POST hold (forged token)", HttpMethod.Post, Holds, token[..^8] + "AAAAAAAA", new { tierId = sale.TierId, quantity = 1 }, 401, cancellationToken);
        await Hostile("POST order (malformed hold id)", HttpMethod.Post, "/api/booking/orders", token, null, 400, cancellationToken, raw: "{\"holdId\":\"' OR 1=1 --\"}");
        await Hostile("GET availability (injected id)", HttpMethod.Get, $"/api/booking/events/{sale.EventId}'--/availability", null, null, 404, cancellationToken);
    }

    /// <summary>A snooper: another buyer's holds and orders, read, released and ordered by id. Each must be 404.</summary>
    private async Task SnoopAsync(Random random, string token, CancellationToken cancellationToken)
    {
        await Task.Delay(options.Arrival + (options.Arrival * random.NextDouble()), cancellationToken);
        for (var waited = 0; _seenIds.Count < 3 && waited < 120; waited++)
        {
            await Task.Delay(500, cancellationToken); // until other buyers' ids have been seen
        }

        foreach (var (kind, id) in _seenIds.Take(3).ToList())
        {
            await Hostile($"GET other's {kind[..^1]}", HttpMethod.Get, $"/api/booking/{kind}/{id}", token, null, 404, cancellationToken);
            if (kind == "holds")
            {
                await Hostile("DELETE other's hold", HttpMethod.Delete, $"/api/booking/holds/{id}", token, null, 404, cancellationToken);
                await Hostile("POST order of other's hold", HttpMethod.Post, "/api/booking/orders", token, new { holdId = id }, 404, cancellationToken);
            }
            else
            {
                await Hostile("GET other's tickets", HttpMethod.Get, $"/api/booking/orders/{id}/tickets", token, null, 404, cancellationToken);
            }
        }
    }

    /// <summary>A hostile request: a 5xx, or a success where <paramref name="expected"/> names the refusal, is counted against us.</summary>
    private async Task<Answer> Hostile(string endpoint, HttpMethod method, string path, string? token, object? body, int? expected, CancellationToken cancellationToken,
        string? raw = null, string contentType = "application/json")
    {
        // Like any HTTP client, a bot sends again when its connection was cut with no answer (a
        // gateway replica killed under it); what the server answers is what is judged.
        var key = Guid.NewGuid().ToString();
        var answer = await caller.SendAsync(endpoint, method, path, token, body, key, hostile: true, rawBody: raw, contentType: contentType, cancellationToken: cancellationToken);
        for (var attempt = 2; answer.Status == 0 && attempt <= 3; attempt++)
        {
            answer = await caller.SendAsync(endpoint, method, path, token, body, key, hostile: true, rawBody: raw, contentType: contentType, cancellationToken: cancellationToken);
        }

        Interlocked.Increment(ref outcomes.HostileRequests);
        // A rate-limited (429) hostile request was refused too; no answer at all counts as a failure.
        var refused = expected is null ? answer.Status is > 0 and < 500 : answer.Status == expected || answer.Status == 429;
        if (!refused)
        {
            outcomes.HostileFailures.Enqueue($"{endpoint}: {answer.Status}");
        }

        return answer;
    }
}
