using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Boxoffice.Contracts.WaitingRoom;

namespace Boxoffice.Tests.WaitingRoom;

/// <summary>
/// Who is served first (docs/adr/0010-waiting-room.md): everybody who joined before the opening is
/// shuffled at the opening, so clicking fastest wins nothing; whoever joins later follows them in
/// arrival order.
/// </summary>
[Collection<RunningApp>]
public sealed class QueueOrderTests(BoxofficeApp boxoffice)
{
    private const int Early = 1000;
    private const int Late = 20;

    [Fact]
    public async Task Buyers_who_join_before_the_opening_are_shuffled_and_later_ones_follow_them_in_arrival_order()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var gateway = boxoffice.CreateGatewayClient();
        var buyers = await QueueBuyer.CrowdAsync(boxoffice, Early + Late, gateway);
        var early = buyers[..Early];
        var late = buyers[Early..];
        // A slow admission (1 a second), so nearly everybody is still waiting when their position is
        // read. The pre-queue: joins before the opening, in whatever order they are answered (paced
        // by the per-address join limit: its burst, then QueueJoinPerSecond, about 20 s).
        var joinOrder = new ConcurrentDictionary<string, int>();
        var answers = new ConcurrentDictionary<string, (HttpStatusCode Status, string State)>();
        var sale = await QueuedSale.OpenWithPrequeueAsync(boxoffice, new { admitPerSecond = 1 }, TimeSpan.FromSeconds(35), async sale =>
        {
            joinOrder.Clear();
            answers.Clear();
            var answered = 0;
            await Parallel.ForEachAsync(early, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (buyer, _) =>
            {
                var (status, place) = await buyer.JoinAsync(sale.EventId);
                answers[buyer.Id] = (status, place.State);
                joinOrder[buyer.Id] = Interlocked.Increment(ref answered);
            });
        }, margin: TimeSpan.FromSeconds(5));
        Assert.All(early, buyer => Assert.Equal((HttpStatusCode.Created, "pre-queue"), answers[buyer.Id]));

        // Before the opening nobody is told a position: only when the draw is.
        var waiting = await early[0].PollAsync(sale.EventId) ?? await early[0].UntilAsync(sale.EventId, _ => true, TimeSpan.FromSeconds(10));
        Assert.Equal("pre-queue", waiting.State);
        Assert.Null(waiting.Position);
        Assert.Equal(sale.SaleOpensAt, waiting.OpensAt);
        using (var info = await gateway.GetAsync($"{QueueBuyer.Api}{sale.EventId}", cancellationToken))
        {
            Assert.Equal("pre-queue", JsonDocument.Parse(await info.Content.ReadAsStringAsync(cancellationToken)).RootElement.GetProperty("state").GetString());
        }

        // The opening draws the pre-queue; then every place has a position (or, at the very front, its admission).
        await early[0].UntilAsync(sale.EventId, status => status.State != "pre-queue", sale.SaleOpensAt - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30));
        var told = new ConcurrentDictionary<string, QueueStatus>();
        await Parallel.ForEachAsync(early, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (buyer, _) =>
            told[buyer.Id] = await buyer.UntilAsync(sale.EventId, status => status.State != "pre-queue", TimeSpan.FromSeconds(30)));

        // Later arrivals, one after the other.
        var lateStatuses = new List<QueueStatus>();
        foreach (var buyer in late)
        {
            var (status, _) = await buyer.JoinAsync(sale.EventId);
            Assert.Equal(HttpStatusCode.Created, status);
            lateStatuses.Add(await buyer.UntilAsync(sale.EventId, place => place.Position is not null, TimeSpan.FromSeconds(30)));
        }

        // The exact order is the waiting room's: the places by rank.
        var places = await QueueRecords.PlacesAsync(boxoffice, sale.EventId);
        Assert.Equal(Early + Late, places.Count);
        Assert.Equal(early.Select(buyer => buyer.Id).Order(), places[..Early].Select(place => place.BuyerId).Order());
        Assert.All(places[..Early], place => Assert.True(place.Prequeue && QueueRanks.IsPrequeue(place.Rank), $"{place.BuyerId} joined before the opening but is not in the pre-queue"));
        Assert.Equal(late.Select(buyer => buyer.Id), places[Early..].Select(place => place.BuyerId));
        Assert.All(places[Early..], place => Assert.False(place.Prequeue, $"{place.BuyerId} joined after the opening but is in the pre-queue"));
        var exact = places[..Early].Select((place, index) => (place.BuyerId, Position: index + 1)).ToDictionary(pair => pair.BuyerId, pair => pair.Position);

        // Shuffled: where one stands has nothing to do with how fast one joined (for n = 1,000 the
        // rank correlation of independent orders has a standard deviation of about 0.03).
        var joined = early.Select(buyer => (double)joinOrder[buyer.Id]).ToArray();
        var rho = Spearman(joined, early.Select(buyer => (double)exact[buyer.Id]).ToArray());
        Assert.True(Math.Abs(rho) < 0.15, $"The queue order follows the join order (Spearman rho {rho:F3}).");

        // What buyers are shown: the estimate of their place, within a few places of the exact one
        // (a uniform draw's k-th of 1,000 strays by about 16 at most in the middle; 100 is over six of that).
        var shown = early.Where(buyer => told[buyer.Id].State == "waiting").ToList();
        var admittedTotal = await QueueRecords.QueueAsync<long>(boxoffice, sale.EventId, "admitted_total");
        Assert.All(early.Where(buyer => told[buyer.Id].State != "waiting"), buyer =>
        {
            Assert.Equal("admitted", told[buyer.Id].State);
            Assert.True(exact[buyer.Id] <= admittedTotal, $"{buyer.Id} was admitted at place {exact[buyer.Id]}, behind the {admittedTotal} offered so far.");
        });
        Assert.True(shown.Count >= Early - 100, $"Only {shown.Count} of {Early} were still waiting when asked: the admission rate is 1 a second.");
        Assert.All(shown, buyer =>
        {
            var position = told[buyer.Id].Position;
            Assert.NotNull(position);
            Assert.InRange(position.Value, 1, Early);
            Assert.True(Math.Abs(position.Value - exact[buyer.Id]) <= 100, $"{buyer.Id} is shown place {position} but is at {exact[buyer.Id]}.");
        });
        Assert.True(shown.Select(buyer => told[buyer.Id].Position).Distinct().Count() > shown.Count / 2, "Most places are shown the same few positions.");
        var shownRho = Spearman(shown.Select(buyer => (double)joinOrder[buyer.Id]).ToArray(), shown.Select(buyer => (double)told[buyer.Id].Position!.Value).ToArray());
        Assert.True(Math.Abs(shownRho) < 0.15, $"The positions shown follow the join order (Spearman rho {shownRho:F3}).");

        // Later arrivals: behind all of the pre-queue, in the order they came.
        Assert.Equal(Enumerable.Range(Early + 1, Late).Select(position => (long?)position), lateStatuses.Select(status => status.Position));
        Assert.All(lateStatuses, status => Assert.Equal("waiting", status.State));

        buyers.ForEach(buyer => buyer.Dispose());
    }

    /// <summary>Spearman's rank correlation: Pearson's of the ranks (ties share their mean rank).</summary>
    private static double Spearman(double[] x, double[] y)
    {
        var (rx, ry) = (Ranks(x), Ranks(y));
        var (mx, my) = (rx.Average(), ry.Average());
        var covariance = rx.Zip(ry, (a, b) => (a - mx) * (b - my)).Sum();
        return covariance / Math.Sqrt(rx.Sum(a => (a - mx) * (a - mx)) * ry.Sum(b => (b - my) * (b - my)));
    }

    private static double[] Ranks(double[] values)
    {
        var order = Enumerable.Range(0, values.Length).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Length];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]])
            {
                end++;
            }

            for (var i = start; i <= end; i++)
            {
                ranks[order[i]] = (start + end) / 2.0 + 1;
            }

            start = end + 1;
        }

        return ranks;
    }
}
