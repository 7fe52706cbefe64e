using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Boxoffice.Contracts.WaitingRoom;

namespace Boxoffice.FlashSale;

/// <summary>
/// The crowd at the opening minute. With a waiting room, every buyer joins its pre-queue in the
/// lobby, polls when the status says to, and buys only once admitted, with the admission on the
/// hold and the order; a buyer the queue tells "sold out" leaves with that answer. A buyer reads
/// the event and its availability, holds places, checks out and polls the order until it is
/// decided, the way a buyer's app behaves: pauses to think, the same Idempotency-Key on every
/// retry of one click, Retry-After honoured, a released hold when checkout cannot go on, another
/// try when an order is cancelled. A few buyers are hostile: scalper bots that poll the queue
/// hard, try to skip it and hammer holds ignoring every limit; clients sending malformed requests
/// and forged or altered tickets, admissions and proofs of work; and snoopers trying other buyers'
/// hold and order ids, tickets and admissions.
/// </summary>
internal sealed class Crowd(Caller caller, Sale sale, SaleOptions options, Outcomes outcomes)
{
    /// <summary>How often a scalper bot polls the queue, whatever it is told.</summary>
    private static readonly TimeSpan ScalperPoll = TimeSpan.FromMilliseconds(500);

    /// <summary>How many honest buyers' tickets and admissions are kept for the snoopers to try.</summary>
    private const int Remembered = 50;

    private readonly ConcurrentQueue<(string Kind, Guid Id)> _seenIds = new();
    private readonly ConcurrentQueue<string> _seenTickets = new();
    private readonly ConcurrentQueue<string> _seenAdmissions = new();
    private readonly QueueClient _queue = new(caller, sale.EventId);

    private Caller Caller => caller;

    private Sale Sale => sale;

    private SaleOptions Options => options;

    private Outcomes Outcomes => outcomes;

    /// <summary>
    /// Whether the buyer of <paramref name="index"/> is a scalper bot: one hostile identity in five.
    /// With the per-buyer cap, each bot identity can still take a cap's worth, so a larger share
    /// would simply buy the sale.
    /// </summary>
    public static bool IsScalper(int index, int honest) => index >= honest && index % 5 == 0;

    public Task RunBuyerAsync(int index, string token, CancellationToken cancellationToken) =>
        new Buyer(this, new Random(options.Seed + index), token).RunAsync(cancellationToken);

    public Task RunHostileAsync(int index, string token, CancellationToken cancellationToken)
    {
        var random = new Random(options.Seed + index);
        return (index % 5) switch
        {
            0 => ScalpAsync(random, token, cancellationToken),
            1 or 2 => MalformAsync(random, token, cancellationToken),
            _ => SnoopAsync(random, token, cancellationToken),
        };
    }

    private string Holds => $"/api/booking/events/{sale.EventId}/holds";

    /// <summary>A buyer's place in the waiting room (<see cref="Ticket"/>) and, once it is their turn, the <see cref="Admission"/>.</summary>
    private sealed record Turn(string? Ticket, string? Admission)
    {
        public IReadOnlyList<KeyValuePair<string, string>>? AdmissionHeader => Caller.Header(WaitingRoomTokens.AdmissionHeader, Admission);
    }

    /// <summary>
    /// Joins the queue and polls until the buyer is admitted (the turn has an admission) or has
    /// their answer: sold out, closed, a refusal, or no turn within <see cref="SaleOptions.QueuePatience"/>.
    /// An honest app waits as long as each status says; a <paramref name="scalper"/> polls every
    /// <see cref="ScalperPoll"/> and sends nothing again. <paramref name="whileWaiting"/> runs after each answer that is not final.
    /// </summary>
    private async Task<Turn> WaitForTurnAsync(string token, Random random, bool scalper, bool remember, Func<QueueStatus, Task>? whileWaiting, CancellationToken cancellationToken)
    {
        var (_, status) = await _queue.JoinAsync(token, random, options.ProofOfWorkBits > 0, cancellationToken);
        if (status?.Ticket is not { } ticket)
        {
            Interlocked.Increment(ref outcomes.JoinsFailed);
            Interlocked.Increment(ref outcomes.GaveUp);
            return new Turn(null, null);
        }

        var joinedAt = caller.Stats.Elapsed.TotalSeconds;
        Interlocked.Increment(ref outcomes.Joined);
        Interlocked.Increment(ref outcomes.InQueue);
        if (status.State == QueueStates.Prequeue)
        {
            Interlocked.Increment(ref outcomes.JoinedPrequeue);
        }

        if (remember)
        {
            Remember(_seenTickets, ticket);
        }

        var endpoint = scalper ? "GET queue status (scalper, every 0.5 s)" : "GET queue status";
        var waiting = Stopwatch.StartNew();
        try
        {
            while (true)
            {
                switch (status.State)
                {
                    case QueueStates.Admitted when status.Admission is { } admission:
                        Interlocked.Increment(ref outcomes.Admitted);
                        outcomes.Admissions.Enqueue((joinedAt, caller.Stats.Elapsed.TotalSeconds));
                        if (remember)
                        {
                            Remember(_seenAdmissions, admission);
                        }

                        return new Turn(ticket, admission);
                    case QueueStates.SoldOut:
                        // The buyer's clear answer, counted as a "sold out" that made them leave.
                        outcomes.SoldOutHeard.Enqueue(caller.Stats.Elapsed.TotalSeconds);
                        Interlocked.Increment(ref outcomes.ToldSoldOut);
                        Interlocked.Increment(ref outcomes.SoldOutAnswers);
                        Interlocked.Increment(ref outcomes.GaveUp);
                        return new Turn(ticket, null);
                    case QueueStates.Closed:
                        Interlocked.Increment(ref outcomes.ToldClosed);
                        Interlocked.Increment(ref outcomes.GaveUp);
                        return new Turn(ticket, null);
                }

                if (whileWaiting is not null)
                {
                    await whileWaiting(status);
                }

                if (waiting.Elapsed > options.QueuePatience)
                {
                    Interlocked.Increment(ref outcomes.LeftQueue);
                    Interlocked.Increment(ref outcomes.GaveUp);
                    return new Turn(ticket, null);
                }

                await Task.Delay(scalper ? ScalperPoll : QueueClient.PollAfter(status, random), cancellationToken);
                var poll = await _queue.StatusAsync(endpoint, token, ticket, random, patient: !scalper, cancellationToken);
                if (QueueClient.Read(poll) is { } next)
                {
                    status = next;
                }
                else if (!poll.Retryable && !poll.Is(404))
                {
                    // A 404 is a gateway replica that has no snapshot of the queue yet (just started): ask again.
                    Interlocked.Increment(ref outcomes.QueueRefused);
                    Interlocked.Increment(ref outcomes.GaveUp);
                    return new Turn(ticket, null);
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref outcomes.InQueue);
        }
    }

    /// <summary>A purchase under way, from the first read of the event to its end (<see cref="Outcomes.Buying"/>); the settling waits for none to be.</summary>
    private Purchase Buying()
    {
        Interlocked.Increment(ref outcomes.Purchases);
        Interlocked.Increment(ref outcomes.Buying);
        return new Purchase(outcomes);
    }

    private sealed class Purchase(Outcomes outcomes) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref outcomes.Buying);
    }

    private static void Remember(ConcurrentQueue<string> seen, string token)
    {
        if (seen.Count < Remembered)
        {
            seen.Enqueue(token);
        }
    }

    private sealed class Buyer(Crowd crowd, Random random, string token)
    {
        private int _soldOutAnswers;
        private IReadOnlyList<KeyValuePair<string, string>>? _admission;

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            // Arrival: in the lobby with a waiting room, at the opening without.
            await Task.Delay(crowd.Options.ArrivalWindow * random.NextDouble(), cancellationToken);
            if (crowd.Sale.WaitingRoom)
            {
                var turn = await crowd.WaitForTurnAsync(token, random, scalper: false, remember: true, whileWaiting: null, cancellationToken);
                if (turn.Admission is null)
                {
                    return;
                }

                _admission = turn.AdmissionHeader;
            }

            using (crowd.Buying())
            {
                await BuyAsync(cancellationToken);
            }
        }

        private async Task BuyAsync(CancellationToken cancellationToken)
        {
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
                var hold = await ClickAsync("POST hold", HttpMethod.Post, crowd.Holds, new { tierId = crowd.Sale.TierId, quantity }, cancellationToken, headers: _admission);
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

                var order = await ClickAsync("POST order", HttpMethod.Post, "/api/booking/orders", new { holdId }, cancellationToken, headers: _admission);
                if (order.Status != 201)
                {
                    // The hold expired or checkout failed for good: give the places back rather than leave them held.
                    await ClickAsync("DELETE hold", HttpMethod.Delete, $"/api/booking/holds/{holdId}", null, cancellationToken, key: false);
                    return;
                }

                Interlocked.Increment(ref crowd.Outcomes.Orders);
                var orderId = order.Json.GetProperty("orderId").GetGuid();
                crowd._seenIds.Enqueue(("orders", orderId));
                var status = await WaitForDecisionAsync(orderId, order.RetryAfter, cancellationToken);
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

        /// <summary>
        /// Polls the order, as the app's "processing payment" screen does, until it is decided: each
        /// time when the last answer's Retry-After says (booking chooses the pace of a pending
        /// order's polls, from the order's placing on), give or take a fifth so the crowd does not
        /// poll in step; every 0.4 to 0.8 s when an answer says nothing.
        /// </summary>
        private async Task<string?> WaitForDecisionAsync(Guid orderId, TimeSpan? placedRetryAfter, CancellationToken cancellationToken)
        {
            var deadline = DateTimeOffset.UtcNow + crowd.Options.OrderPatience;
            var told = placedRetryAfter;
            while (DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(told is { } pace ? pace * (0.8 + (0.4 * random.NextDouble())) : TimeSpan.FromMilliseconds(400 + (400 * random.NextDouble())), cancellationToken);
                var order = await ClickAsync("GET order", HttpMethod.Get, $"/api/booking/orders/{orderId}", null, cancellationToken, key: false);
                if (order.Status == 200 && order.Json.GetProperty("status").GetString() is { } status and not "pending-payment")
                {
                    return status;
                }

                told = order.RetryAfter;
            }

            return null;
        }

        private Task<Answer> ClickAsync(string endpoint, HttpMethod method, string path, object? body, CancellationToken cancellationToken,
            bool key = true, IReadOnlyList<KeyValuePair<string, string>>? headers = null) =>
            crowd.Caller.ClickAsync(endpoint, method, path, token, body, random, cancellationToken, key, headers);

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
    /// A scalper bot: with a waiting room it joins like everyone (one place per account), polls
    /// every <see cref="ScalperPoll"/> whatever it is told, and once the line moves tries to skip
    /// it with holds that carry no admission (each must be refused). Its turn comes when the
    /// queue says. Then bursts of holds fired without waiting, far over the per-buyer cap (the
    /// event's ticket limit, <see cref="SaleOptions.MaxQuantity"/>), 429s ignored, and it orders
    /// what it got, as scalpers do (to resell). The queue, the cap and the rate limit must keep it
    /// to its share; the auditor checks no buyer owns more than the cap.
    /// </summary>
    private async Task ScalpAsync(Random random, string token, CancellationToken cancellationToken)
    {
        await Task.Delay(options.ArrivalWindow * random.NextDouble(), cancellationToken);
        var turn = new Turn(null, null);
        if (sale.WaitingRoom)
        {
            var jumped = false;
            turn = await WaitForTurnAsync(token, random, scalper: true, remember: false, async status =>
            {
                if (!jumped && status.State == QueueStates.Waiting)
                {
                    jumped = true;
                    await Task.WhenAll(Enumerable.Range(0, 3).Select(_ =>
                        Hostile("POST hold (scalper, no admission)", HttpMethod.Post, Holds, token, new { tierId = sale.TierId, quantity = 2 }, [403], cancellationToken)));
                }
            }, cancellationToken);
            if (turn.Admission is null)
            {
                return;
            }
        }

        using var buying = Buying();
        var burst = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ =>
            Hostile("POST hold (scalper burst)", HttpMethod.Post, Holds, token, new { tierId = sale.TierId, quantity = 2 }, expected: null, cancellationToken, headers: turn.AdmissionHeader)));
        foreach (var hold in burst.Where(answer => answer.Status == 201))
        {
            var holdId = hold.Json.GetProperty("holdId").GetGuid();
            var order = await caller.SendAsync("POST order", HttpMethod.Post, "/api/booking/orders", token, new { holdId }, Guid.NewGuid().ToString(),
                headers: turn.AdmissionHeader, cancellationToken: cancellationToken);
            if (order.Status != 201)
            {
                await caller.SendAsync("DELETE hold", HttpMethod.Delete, $"/api/booking/holds/{holdId}", token, cancellationToken: cancellationToken);
            }
        }
    }

    /// <summary>
    /// A broken or malicious client: every request is wrong in its own way and must get a 4xx.
    /// With a waiting room it first sends joins with no, junk or wrong proofs of work (before its
    /// own join, so none can count as a place), then waits its turn like anyone, and tries its
    /// status with no, altered and forged tickets, and holds and orders with no, forged and
    /// altered admissions, and a ticket for an admission. Its malformed holds and orders carry its
    /// own admission, so what is refused is the malformation; without one (the queue said "sold
    /// out" first), the missing admission is refused first: 403.
    /// </summary>
    private async Task MalformAsync(Random random, string token, CancellationToken cancellationToken)
    {
        await Task.Delay(options.ArrivalWindow * random.NextDouble(), cancellationToken);
        var turn = new Turn(null, null);
        if (sale.WaitingRoom)
        {
            if (options.ProofOfWorkBits > 0)
            {
                await JunkProofsAsync(token, cancellationToken);
            }

            turn = await WaitForTurnAsync(token, random, scalper: false, remember: false, whileWaiting: null, cancellationToken);
            if (turn.Ticket is { } ticket)
            {
                await BadTicketsAsync(token, ticket, cancellationToken);
            }

            await BadAdmissionsAsync(token, turn, cancellationToken);
        }

        // Without an admission the gateway refuses the hold for that (403) before booking reads the
        // body; a gateway replica that has no snapshot yet lets it through, and booking refuses the body.
        int[] Refusal(int status) => sale.WaitingRoom && turn.Admission is null ? [403, status] : [status];
        var admission = turn.AdmissionHeader;
        await Hostile("POST hold (bad JSON)", HttpMethod.Post, Holds, token, null, Refusal(400), cancellationToken, raw: "{\"tierId\": ", headers: admission);
        await Hostile("POST hold (quantity 0)", HttpMethod.Post, Holds, token, new { tierId = sale.TierId, quantity = 0 }, Refusal(400), cancellationToken, headers: admission);
        await Hostile("POST hold (quantity 1e9)", HttpMethod.Post, Holds, token, null, Refusal(400), cancellationToken,
            raw: $"{{\"tierId\":\"{sale.TierId}\",\"quantity\":1000000000000}}", headers: admission);
        await Hostile("POST hold (unknown tier)", HttpMethod.Post, Holds, token, new { tierId = Guid.NewGuid(), quantity = 1 }, Refusal(422), cancellationToken, headers: admission);
        await Hostile("POST hold (text/plain)", HttpMethod.Post, Holds, token, null, Refusal(415), cancellationToken, raw: "quantity=1", contentType: "text/plain", headers: admission);
        await Hostile("POST hold (no token)", HttpMethod.Post, Holds, null, new { tierId = sale.TierId, quantity = 1 }, [401], cancellationToken);
        await Hostile("POST hold (forged token)", HttpMethod.Post, Holds, token[..^8] + "AAAAAAAA", new { tierId = sale.TierId, quantity = 1 }, [401], cancellationToken);
        await Hostile("POST order (malformed hold id)", HttpMethod.Post, "/api/booking/orders", token, null, [400], cancellationToken, raw: "{\"holdId\":\"' OR 1=1 --\"}", headers: admission);
        await Hostile("GET availability (injected id)", HttpMethod.Get, $"/api/booking/events/{sale.EventId}'--/availability", null, null, [404], cancellationToken);
    }

    /// <summary>Joins without the proof of work the queue asks for, with a junk one, and with a real challenge wrongly solved: each 422.</summary>
    private async Task JunkProofsAsync(string token, CancellationToken cancellationToken)
    {
        var join = $"{_queue.Path}/join";
        await Hostile("POST queue join (no proof of work)", HttpMethod.Post, join, token, null, [422], cancellationToken);
        await Hostile("POST queue join (junk proof of work)", HttpMethod.Post, join, token, new { challenge = "junk", solution = "42" }, [422], cancellationToken);
        var challenge = await caller.SendAsync("POST queue challenge", HttpMethod.Post, $"{_queue.Path}/challenge", token, cancellationToken: cancellationToken);
        if (challenge.Status is 200 or 201)
        {
            var text = challenge.Json.GetProperty("challenge").GetString()!;
            var bits = challenge.Json.GetProperty("bits").GetInt32();
            var wrong = Enumerable.Range(0, 1000).Select(n => $"wrong{n}").First(candidate => !ProofOfWork.IsSolution(text, candidate, bits));
            await Hostile("POST queue join (wrong solution)", HttpMethod.Post, join, token, new { challenge = text, solution = wrong }, [422], cancellationToken);
        }
    }

    /// <summary>Status with no ticket, with the buyer's own ticket altered to the front of the line, and with one signed by a made-up key: each 422.</summary>
    private async Task BadTicketsAsync(string token, string ticket, CancellationToken cancellationToken)
    {
        var status = $"{_queue.Path}/status";
        var claims = TokenForgery.Claims(ticket) ?? new JsonObject();
        claims["r"] = 0;
        await Hostile("GET queue status (no ticket)", HttpMethod.Get, status, token, null, [422], cancellationToken);
        await Hostile("GET queue status (altered ticket)", HttpMethod.Get, status, token, null, [422], cancellationToken,
            headers: Caller.Header(WaitingRoomTokens.TicketHeader, TokenForgery.Altered(ticket, altered => altered["r"] = 0)));
        await Hostile("GET queue status (forged ticket)", HttpMethod.Get, status, token, null, [422], cancellationToken,
            headers: Caller.Header(WaitingRoomTokens.TicketHeader, TokenForgery.Forged(claims)));
    }

    /// <summary>Holds with no admission, a forged one, the buyer's own altered to last a day longer, and a ticket instead of one; an order with a forged one: each 403.</summary>
    private async Task BadAdmissionsAsync(string token, Turn turn, CancellationToken cancellationToken)
    {
        var body = new { tierId = sale.TierId, quantity = 1 };
        var buyer = (turn.Ticket is { } ticket ? TokenForgery.Claims(ticket)?["b"]?.GetValue<string>() : null) ?? "unknown";
        var forged = TokenForgery.Forged(new JsonObject
        {
            ["e"] = sale.EventId,
            ["b"] = buyer,
            ["x"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds(),
            ["k"] = "admission",
        });
        IReadOnlyList<KeyValuePair<string, string>>? Admission(string value) => Caller.Header(WaitingRoomTokens.AdmissionHeader, value);
        await Hostile("POST hold (no admission)", HttpMethod.Post, Holds, token, body, [403], cancellationToken);
        await Hostile("POST hold (forged admission)", HttpMethod.Post, Holds, token, body, [403], cancellationToken, headers: Admission(forged));
        if (turn.Ticket is { } own)
        {
            await Hostile("POST hold (ticket for an admission)", HttpMethod.Post, Holds, token, body, [403], cancellationToken, headers: Admission(own));
        }

        if (turn.Admission is { } admission)
        {
            var altered = TokenForgery.Altered(admission, claims => claims["x"] = (claims["x"]?.GetValue<long>() ?? 0) + 86_400);
            await Hostile("POST hold (altered admission)", HttpMethod.Post, Holds, token, body, [403], cancellationToken, headers: Admission(altered));
        }

        await Hostile("POST order (forged admission)", HttpMethod.Post, "/api/booking/orders", token, new { holdId = Guid.NewGuid() }, [403], cancellationToken,
            headers: Admission(forged));
    }

    /// <summary>
    /// A snooper: another buyer's holds and orders, read, released and ordered by id (each 404);
    /// with a waiting room, it waits its turn like anyone, then polls with another buyer's ticket
    /// (422) and holds with another buyer's admission (403).
    /// </summary>
    private async Task SnoopAsync(Random random, string token, CancellationToken cancellationToken)
    {
        var turn = new Turn(null, null);
        if (sale.WaitingRoom)
        {
            await Task.Delay(options.ArrivalWindow * random.NextDouble(), cancellationToken);
            turn = await WaitForTurnAsync(token, random, scalper: false, remember: false, whileWaiting: null, cancellationToken);
            if (_seenTickets.TryPeek(out var others))
            {
                await Hostile("GET queue status (another buyer's ticket)", HttpMethod.Get, $"{_queue.Path}/status", token, null, [422], cancellationToken,
                    headers: Caller.Header(WaitingRoomTokens.TicketHeader, others));
            }

            if (_seenAdmissions.TryPeek(out var othersAdmission))
            {
                await Hostile("POST hold (another buyer's admission)", HttpMethod.Post, Holds, token, new { tierId = sale.TierId, quantity = 1 }, [403], cancellationToken,
                    headers: Caller.Header(WaitingRoomTokens.AdmissionHeader, othersAdmission));
            }
        }
        else
        {
            await Task.Delay(options.Arrival + (options.Arrival * random.NextDouble()), cancellationToken);
        }

        for (var waited = 0; _seenIds.Count < 3 && waited < 120; waited++)
        {
            await Task.Delay(500, cancellationToken); // until other buyers' ids have been seen
        }

        foreach (var (kind, id) in _seenIds.Take(3).ToList())
        {
            await Hostile($"GET other's {kind[..^1]}", HttpMethod.Get, $"/api/booking/{kind}/{id}", token, null, [404], cancellationToken);
            if (kind == "holds")
            {
                await Hostile("DELETE other's hold", HttpMethod.Delete, $"/api/booking/holds/{id}", token, null, [404], cancellationToken);
                await Hostile("POST order of other's hold", HttpMethod.Post, "/api/booking/orders", token, new { holdId = id }, [404], cancellationToken,
                    headers: turn.AdmissionHeader);
            }
            else
            {
                await Hostile("GET other's tickets", HttpMethod.Get, $"/api/booking/orders/{id}/tickets", token, null, [404], cancellationToken);
            }
        }
    }

    /// <summary>
    /// A hostile request: a 5xx, or an answer other than one of <paramref name="expected"/> (a
    /// 429 is a refusal too), is counted against us; with none expected, only a 5xx or no answer is.
    /// </summary>
    private async Task<Answer> Hostile(string endpoint, HttpMethod method, string path, string? token, object? body, int[]? expected, CancellationToken cancellationToken,
        string? raw = null, string contentType = "application/json", IReadOnlyList<KeyValuePair<string, string>>? headers = null)
    {
        // Like any HTTP client, a bot sends again when its connection was cut with no answer (a
        // gateway replica killed under it); what the server answers is what is judged.
        var key = Guid.NewGuid().ToString();
        Answer answer = null!;
        for (var attempt = 1; attempt == 1 || (answer.Status == 0 && attempt <= 3); attempt++)
        {
            answer = await caller.SendAsync(endpoint, method, path, token, body, key, hostile: true, rawBody: raw, contentType: contentType, headers: headers,
                cancellationToken: cancellationToken);
        }

        Interlocked.Increment(ref outcomes.HostileRequests);
        var refused = expected is null ? answer.Status is > 0 and < 500 : expected.Contains(answer.Status) || answer.Status == 429;
        if (!refused)
        {
            outcomes.HostileFailures.Enqueue($"{endpoint}: {answer.Status}");
        }

        return answer;
    }
}
