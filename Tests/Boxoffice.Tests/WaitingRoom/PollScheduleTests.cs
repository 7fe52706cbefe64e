using Boxoffice.Contracts.WaitingRoom;

namespace Boxoffice.Tests.WaitingRoom;

/// <summary>
/// When a waiting buyer is told to ask again (docs/adr/0010-waiting-room.md): as the queue's rate
/// says while the places left could reach them, and within the second half of the minute once
/// they are further back than the places left could serve even at one place a buyer, since
/// nothing comes to them before places come back. So a crowd far behind a small sale costs the
/// machine little, while the buyers the places can serve hear of their offers at once.
/// </summary>
[Collection<RunningApp>]
public sealed class PollScheduleTests(BoxofficeApp boxoffice)
{
    private const int Places = 2;
    private const int Buyers = 10;

    [Fact]
    public async Task A_buyer_the_places_left_cannot_reach_is_told_to_ask_again_within_the_second_half_minute()
    {
        var buyers = new List<QueueBuyer>();
        for (var i = 0; i < Buyers; i++)
        {
            buyers.Add(await QueueBuyer.NewAsync(boxoffice));
        }

        // One a second and one place a buyer: at most the two the places serve are offered while
        // nobody holds, so eight are still waiting, and only the first two of them are in reach.
        var sale = await QueuedSale.OpenWithPrequeueAsync(boxoffice, new { admitPerSecond = 1 }, TimeSpan.FromSeconds(15), async sale =>
        {
            foreach (var buyer in buyers)
            {
                await buyer.JoinAsync(sale.EventId);
            }
        }, places: Places, ticketLimit: 1);

        // In queue order: by the rank each buyer's ticket carries, which the gateway decides by.
        // The position a buyer is told is only the rank's share of the pre-queue, exact within a
        // few places, so several of ten buyers often share one, and a sort by it could put a place
        // beyond the reach first.
        var tokens = await QueueTokens.ForAsync(boxoffice);
        var ranks = buyers.ToDictionary(buyer => buyer.Id, buyer => tokens.ReadTicket(buyer.Ticket)!.Rank);
        var deadline = sale.SaleOpensAt.AddSeconds(30);
        List<(QueueBuyer Buyer, long Position, int PollAfter)> waiting;
        var offeredBefore = false;
        while (true)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
            var statuses = new List<(QueueBuyer, QueueStatus?)>();
            foreach (var buyer in buyers)
            {
                statuses.Add((buyer, await buyer.PollAsync(sale.EventId)));
            }

            waiting = [.. statuses.Where(pair => pair.Item2 is { State: "waiting", Position: not null })
                .Select(pair => (pair.Item1, pair.Item2!.Position!.Value, pair.Item2.PollAfterSeconds!.Value))
                .OrderBy(place => ranks[place.Item1.Id])];
            // Once booking's count of the places has reached the queue (and both gateway replicas'
            // snapshots), the back of the line hears it. Each replica reads the queue about twice a
            // second, so a round taken just after the offers can mix the two: the buyers offered
            // admission answered by the replica that has seen it, the next in line by one that has
            // not, under which that place is still beyond the two places. The round after the one
            // that first saw both offers is usually read after them on both replicas; on a busy
            // machine a replica's read can come a round later still, so the round that counts is
            // the first whose answers agree: the first waiting place in reach, the back beyond it.
            if (offeredBefore && waiting.Count >= Buyers - Places && waiting[0].PollAfter < QueueSchedule.MaxPollSeconds / 2
                && waiting[(Places + 2)..].All(place => place.PollAfter >= QueueSchedule.MaxPollSeconds / 2))
            {
                break;
            }

            offeredBefore = statuses.Count(pair => pair.Item2 is { State: "admitted" }) >= Places;

            if (DateTimeOffset.UtcNow >= deadline)
            {
                Assert.Fail($"30 s after the opening the first waiting place is not in reach or the back not beyond it: told to ask again in {string.Join(", ", waiting.Select(place => place.PollAfter))} s; waiting: {waiting.Count}. "
                    + await SeenAsync(sale.EventId, statuses, ranks));
            }
        }

        // The first waiting place is in reach: as the rate says, a few seconds at most. The places
        // beyond the reach of two places: within the second half of the minute, though the rate
        // alone (one a second, a few ahead) would say a few seconds.
        Assert.True(waiting[0].PollAfter < QueueSchedule.MaxPollSeconds / 2, $"The first waiting place is told to ask again in {waiting[0].PollAfter} s.");
        Assert.All(waiting[(Places + 2)..], place => Assert.InRange(place.PollAfter, QueueSchedule.MaxPollSeconds / 2, QueueSchedule.MaxPollSeconds));
        Assert.True(waiting.Count >= Places + 3, $"Only {waiting.Count} places still waiting: nothing beyond the reach was asked.");
        Assert.All(waiting[(Places + 2)..], place => Assert.True(place.Position - waiting[0].Position < QueueSchedule.MaxPollSeconds / 2,
            $"Position {place.Position} is half a minute from the front at one a second: its poll would be that far without the reach."));
    }

    /// <summary>
    /// What each buyer was told, in queue order, and the places as the waiting room keeps them,
    /// for a failure's message (what could be read of them: the failure is the news).
    /// </summary>
    private async Task<string> SeenAsync(Guid eventId, List<(QueueBuyer Buyer, QueueStatus? Status)> statuses, Dictionary<string, long> ranks)
    {
        var told = statuses.OrderBy(pair => ranks[pair.Buyer.Id]).Select(pair =>
            $"rank {ranks[pair.Buyer.Id]}: {pair.Status?.State ?? "unanswered"} at {pair.Status?.Position}, ahead {pair.Status?.Ahead}, poll {pair.Status?.PollAfterSeconds}");
        try
        {
            var places = (await QueueRecords.PlacesAsync(boxoffice, eventId)).Select(place =>
                $"rank {place.Rank}: offered {place.OfferedAt:HH:mm:ss.fff}, claimed {place.ClaimedAt:HH:mm:ss.fff}");
            var servedThrough = await QueueRecords.QueueAsync<long>(boxoffice, eventId, "served_through");
            var placesLeft = await QueueRecords.QueueAsync<object>(boxoffice, eventId, "places_left");
            return $"Told: {string.Join("; ", told)}. Places: {string.Join("; ", places)}. Served through {servedThrough}, places left {placesLeft}.";
        }
        catch (Exception failure) when (failure is Npgsql.NpgsqlException or OperationCanceledException)
        {
            return $"Told: {string.Join("; ", told)}. The places could not be read: {failure.Message}";
        }
    }
}
