using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Boxoffice.Contracts.WaitingRoom;

namespace Boxoffice.Tests.WaitingRoom;

/// <summary>
/// Nobody waits for nothing: once every place is held, the buyers still in the queue are told it
/// is sold out, by their polls and their open streams; when a place comes back, admission resumes
/// for the buyers still there, not behind those who heard "sold out" and left.
/// </summary>
[Collection<RunningApp>]
public sealed class SoldOutTests(BoxofficeApp boxoffice)
{
    private const int Places = 6;
    private const int Buyers = 12;

    [Fact]
    public async Task The_queue_says_sold_out_once_everything_is_held_and_admits_again_when_a_place_comes_back()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var buyers = new List<QueueBuyer>();
        for (var i = 0; i < Buyers; i++)
        {
            buyers.Add(await QueueBuyer.NewAsync(boxoffice));
        }

        // Two a second: fast enough to sell out in seconds, slow enough that each admitted buyer
        // holds before many more are let in (the ticker learns of the sell-out at its next tick).
        // A place each (the ticket limit), as every buyer here takes.
        var sale = await QueuedSale.OpenWithPrequeueAsync(boxoffice, new { admitPerSecond = 2 }, TimeSpan.FromSeconds(8), async sale =>
        {
            foreach (var buyer in buyers)
            {
                await buyer.JoinAsync(sale.EventId);
            }
        }, places: Places, ticketLimit: 1);

        // The last in line (by the draw) watches the stream from before the opening.
        var places = await QueueRecords.PlacesAsync(boxoffice, sale.EventId);
        var last = buyers.Single(buyer => buyer.Id == places[^1].BuyerId);
        using var stopStream = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var streamed = new ConcurrentQueue<(DateTimeOffset At, QueueStatus Status)>();
        var stream = Task.Run(async () =>
        {
            try
            {
                await foreach (var status in last.StreamAsync(sale.EventId, last.Ticket, stopStream.Token))
                {
                    streamed.Enqueue((DateTimeOffset.UtcNow, status));
                }
            }
            catch (OperationCanceledException) when (stopStream.IsCancellationRequested)
            {
            }
        }, CancellationToken.None);

        // Everybody polls each second; whoever is admitted holds one place at once, and orders it,
        // but for the last hold: holds last 20 s in the tests (BoxofficeApp.HoldDuration), so only
        // the hold released below brings a place back.
        var latest = new ConcurrentDictionary<string, QueueStatus>();
        var admitted = new ConcurrentDictionary<string, bool>();
        var held = 0;
        // The last two holds are kept unordered, to be released one after the other below.
        var kept = new ConcurrentQueue<(QueueBuyer Buyer, Guid HoldId)>();
        DateTimeOffset? soldOutAt = null;
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            await Task.WhenAll(buyers.Where(buyer => !admitted.ContainsKey(buyer.Id)).Select(async buyer =>
            {
                if (await buyer.PollAsync(sale.EventId) is not { } status)
                {
                    return;
                }

                latest[buyer.Id] = status;
                if (status.State == "admitted")
                {
                    admitted[buyer.Id] = true;
                    using var hold = await buyer.HoldAsync(sale, buyer.Admission);
                    if (hold.StatusCode == HttpStatusCode.Created)
                    {
                        var holdId = JsonDocument.Parse(await hold.Content.ReadAsStringAsync(cancellationToken)).RootElement.GetProperty("holdId").GetGuid();
                        if (Interlocked.Increment(ref held) <= Places - 2)
                        {
                            using var order = await buyer.OrderAsync(holdId, buyer.Admission);
                            Assert.Equal(HttpStatusCode.Created, order.StatusCode);
                        }
                        else
                        {
                            kept.Enqueue((buyer, holdId));
                        }
                    }
                    else
                    {
                        // Let in just before the ticker saw the last place go.
                        await ProblemAnswer.ExpectAsync(hold, HttpStatusCode.Conflict, "sold-out", $"A hold by {buyer.Id}, admitted after the sell-out");
                    }
                }
            }));

            Assert.True(held <= Places, $"{held} holds of {Places} places.");
            soldOutAt ??= kept.Count == 2 ? DateTimeOffset.UtcNow : null;
            var waiting = buyers.Where(buyer => !admitted.ContainsKey(buyer.Id)).ToList();
            if (soldOutAt is not null && waiting.All(buyer => latest.TryGetValue(buyer.Id, out var status) && status.State == "sold-out"))
            {
                break;
            }

            Assert.True(soldOutAt is null || DateTimeOffset.UtcNow - soldOutAt < TimeSpan.FromSeconds(10),
                "10 s after the last place was held, the waiting buyers were told: " + string.Join(", ", waiting.Select(buyer => latest.GetValueOrDefault(buyer.Id)?.State)));
            Assert.True(DateTime.UtcNow < deadline, $"{held} of {Places} places were held 2 minutes after the opening.");
            await Task.Delay(1000, cancellationToken);
        }

        var stillWaiting = buyers.Where(buyer => !admitted.ContainsKey(buyer.Id)).ToList();
        Assert.True(stillWaiting.Count >= Buyers - Places - 2, $"{Buyers - stillWaiting.Count} buyers were admitted for {Places} places: offers went on after the sell-out.");
        Assert.Contains(stillWaiting, buyer => buyer.Id == last.Id);
        await UntilStreamedAsync(streamed, entry => entry.Status.State == "sold-out", "sold-out");
        Assert.All(latest.Where(pair => pair.Value.State == "sold-out"), pair => Assert.Null(pair.Value.Position));

        // A place comes back. The buyers whose polls were told "sold out" went away (that answer
        // names no next poll); the last in line kept the page open. The place is theirs at once,
        // not held for a minute by an offer to a buyer ahead of them who is gone.
        var releasedAt = DateTimeOffset.UtcNow;
        var leaving = stillWaiting.Where(buyer => buyer.Id != last.Id).ToList();
        Assert.NotEmpty(leaving);
        Assert.All(leaving, buyer => Assert.True(Rank(places, buyer) < Rank(places, last)));
        await ReleaseAsync(kept);
        await UntilStreamedAsync(streamed, entry => entry.At > releasedAt && entry.Status is { State: "admitted", Admission: { Length: > 0 } }, "admitted after the release",
            TimeSpan.FromSeconds(30));
        var admission = streamed.Last(entry => entry.Status.State == "admitted").Status.Admission;
        using var hold = await last.HoldAsync(sale, admission);
        Assert.Equal(HttpStatusCode.Created, hold.StatusCode);

        // One who went away comes back, asking as the schedule says: when another place comes back,
        // they are in line again, and admitted.
        await ReleaseAsync(kept);
        var returning = leaving[0];
        var back = await returning.AdmittedAsync(sale.EventId, TimeSpan.FromSeconds(30));
        Assert.False(string.IsNullOrEmpty(back.Admission));

        await stopStream.CancelAsync();
        await stream;
        buyers.ForEach(buyer => buyer.Dispose());
    }

    private static async Task ReleaseAsync(ConcurrentQueue<(QueueBuyer Buyer, Guid HoldId)> kept)
    {
        Assert.True(kept.TryDequeue(out var release), "No hold kept to release.");
        await release.Buyer.Buyer.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/holds/{release.HoldId}");
    }

    private static long Rank(List<PlaceRecord> places, QueueBuyer buyer) => places.Single(place => place.BuyerId == buyer.Id).Rank;

    private static async Task UntilStreamedAsync(
        ConcurrentQueue<(DateTimeOffset At, QueueStatus Status)> streamed, Func<(DateTimeOffset At, QueueStatus Status), bool> wanted, string what, TimeSpan? within = null)
    {
        var patience = within ?? TimeSpan.FromSeconds(15);
        var deadline = DateTime.UtcNow + patience;
        while (!streamed.Any(wanted))
        {
            Assert.True(DateTime.UtcNow < deadline,
                $"The stream did not say {what} within {patience.TotalSeconds:F0} s; it said: {string.Join(", ", streamed.Select(entry => entry.Status.State))}");
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
    }
}
