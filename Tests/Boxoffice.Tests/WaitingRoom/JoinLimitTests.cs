using System.Collections.Concurrent;
using System.Net;

namespace Boxoffice.Tests.WaitingRoom;

/// <summary>
/// One account gets one place, so a bot farm signs up accounts by the thousand: joins are also
/// limited per address at the gateway (policy <c>queue-join</c>), in one bucket for both replicas.
/// The address is the connection's: the gateway runs with forwarded headers on, as deployed, and
/// believes an <c>X-Forwarded-For</c> only from the proxies it is told of (none here), so a bot
/// that claims a new address with every join still draws from its one bucket.
/// </summary>
[Collection<RunningApp>]
public sealed class JoinLimitTests(BoxofficeApp boxoffice)
{
    [Fact]
    public async Task Joins_from_one_address_beyond_its_limit_get_429_with_Retry_After_and_take_no_place_whatever_address_they_claim()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        Assert.Equal(2, BoxofficeApp.GatewayReplicas);
        var sale = await QueuedSale.OpenAsync(boxoffice, new { });
        using var gateway = boxoffice.CreateGatewayClient();
        // Five times the bucket, all at once: the limiter decides as they arrive, before the waiting
        // room does any work, so how fast the joins it lets through are answered does not matter.
        var accounts = await QueueBuyer.CrowdAsync(boxoffice, 5 * BoxofficeApp.QueueJoinLimit, gateway);
        var refill = TimeSpan.FromSeconds((double)BoxofficeApp.QueueJoinLimit / BoxofficeApp.QueueJoinPerSecond + 1);
        try
        {
            // A full bucket to start from, whatever joined before.
            await Task.Delay(refill, cancellationToken);
            var answers = new ConcurrentBag<(string BuyerId, HttpStatusCode Status, TimeSpan? RetryAfter, string? MediaType, string Body)>();
            var started = DateTime.UtcNow;
            var claimed = 0;
            await Parallel.ForEachAsync(accounts, new ParallelOptions { MaxDegreeOfParallelism = accounts.Count, CancellationToken = cancellationToken }, async (account, token) =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"{QueueBuyer.Api}{sale.EventId}/join");
                account.Buyer.Authorize(request);
                // A fresh address claimed by each join (TEST-NET-2 and -3 ranges).
                var n = Interlocked.Increment(ref claimed);
                request.Headers.Add("X-Forwarded-For", $"198.51.{n / 250}.{1 + n % 250}, 203.0.113.{1 + n % 250}");
                using var response = await gateway.SendAsync(request, token);
                answers.Add((account.Id, response.StatusCode, response.Headers.RetryAfter?.Delta, response.Content.Headers.ContentType?.MediaType,
                    await response.Content.ReadAsStringAsync(token)));
            });
            var elapsed = DateTime.UtcNow - started;

            var joined = answers.Where(answer => answer.Status == HttpStatusCode.Created).ToList();
            var limited = answers.Where(answer => answer.Status == HttpStatusCode.TooManyRequests).ToList();
            Assert.True(joined.Count + limited.Count == accounts.Count,
                "Answers other than 201 and 429: " + string.Join("; ", answers.Where(answer => answer.Status is not (HttpStatusCode.Created or HttpStatusCode.TooManyRequests)).Take(5).Select(answer => $"{(int)answer.Status} {answer.Body}")));
            // One shared bucket: its size plus its refill over the burst (and a second's worth of slack).
            // Per-replica buckets would let twice the size through.
            Assert.InRange(joined.Count, BoxofficeApp.QueueJoinLimit,
                BoxofficeApp.QueueJoinLimit + (int)Math.Ceiling(elapsed.TotalSeconds * BoxofficeApp.QueueJoinPerSecond) + BoxofficeApp.QueueJoinPerSecond);
            Assert.NotEmpty(limited);
            Assert.All(limited, answer =>
            {
                Assert.True(answer.RetryAfter >= TimeSpan.FromSeconds(1), $"A 429 without a Retry-After of a second or more: {answer.RetryAfter}");
                Assert.Equal("application/problem+json", answer.MediaType);
                Assert.Contains("\"https://boxoffice.dev/problems/rate-limited\"", answer.Body);
            });

            // The refused took no place; the admitted did.
            var places = (await QueueRecords.PlacesAsync(boxoffice, sale.EventId)).Select(place => place.BuyerId).ToHashSet();
            Assert.Equal(joined.Select(answer => answer.BuyerId).Order(), places.Order());
        }
        finally
        {
            accounts.ForEach(account => account.Dispose());
            // Left as found: the next test's joins start from a full bucket.
            await Task.Delay(refill, CancellationToken.None);
        }
    }
}
