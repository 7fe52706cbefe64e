using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace Boxoffice.Tests.WaitingRoom;

/// <summary>
/// The queue admits the buyers its places serve, however long they take to hold: an admitted
/// buyer still choosing keeps their places back until the queue sees their hold (booking's
/// HoldCreated) or the longest hold wait, counted back from booking's count, passes; and before
/// it has seen any hold, it reckons each buyer takes the ticket limit. So the buyers let in are not
/// told "sold out" by their hold because more were let in than there were places.
/// </summary>
[Collection<RunningApp>]
public sealed class AdmissionPaceTests(BoxofficeApp boxoffice)
{
    private const int Places = 4;
    private const int TicketLimit = 2;
    private const int Buyers = 8;

    /// <summary>How long an admitted buyer takes to choose: longer than the availability lag (6 s), which alone once bounded how long an admission counted.</summary>
    private static readonly TimeSpan Choosing = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Buyers_who_take_their_time_to_hold_keep_their_places_and_nobody_more_is_let_in_for_them()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var buyers = new List<QueueBuyer>();
        for (var i = 0; i < Buyers; i++)
        {
            buyers.Add(await QueueBuyer.NewAsync(boxoffice));
        }

        var sale = await QueuedSale.OpenWithPrequeueAsync(boxoffice, new { admitPerSecond = 1 }, TimeSpan.FromSeconds(8), async sale =>
        {
            foreach (var buyer in buyers)
            {
                await buyer.JoinAsync(sale.EventId);
            }
        }, places: Places, ticketLimit: TicketLimit);

        // Each buyer polls every half second until admitted or told "sold out"; an admitted one
        // chooses for a while, then holds as many places as the limit allows.
        var holds = new ConcurrentDictionary<string, HttpStatusCode>();
        var holdIds = new ConcurrentDictionary<string, string>();
        var told = new ConcurrentDictionary<string, string>();
        await Task.WhenAll(buyers.Select(async buyer =>
        {
            var status = await buyer.UntilAsync(sale.EventId, status => status.State is "admitted" or "sold-out", TimeSpan.FromMinutes(2), TimeSpan.FromMilliseconds(500));
            told[buyer.Id] = status.State;
            if (status.State == "admitted")
            {
                await Task.Delay(Choosing, cancellationToken);
                using var hold = await buyer.HoldAsync(sale, buyer.Admission, quantity: TicketLimit);
                holds[buyer.Id] = hold.StatusCode;
                if (hold.StatusCode == HttpStatusCode.Created)
                {
                    holdIds[buyer.Id] = (await hold.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("holdId").GetString()!;
                }
            }
        }));

        // As many admitted as the places serve at the limit each (one place a buyer would have let in
        // twice as many, half of them to find nothing), each holding the limit; everyone else told "sold out".
        Assert.Equal(Places / TicketLimit, told.Count(pair => pair.Value == "admitted"));
        Assert.All(holds, pair => Assert.Equal(HttpStatusCode.Created, pair.Value));
        Assert.Equal(Buyers - (Places / TicketLimit), told.Count(pair => pair.Value == "sold-out"));

        // The queue saw each hold, on the buyer's place, after its claim, and keeps when booking
        // took it (its HoldCreated's time), not only when the queue read it.
        var taken = await HoldTimesAsync(holdIds.Values, cancellationToken);
        var places = await QueueRecords.PlacesAsync(boxoffice, sale.EventId);
        var held = places.Where(place => holds.ContainsKey(place.BuyerId)).ToList();
        Assert.Equal(Places / TicketLimit, held.Count);
        Assert.All(held, place =>
        {
            Assert.True(place.HeldAt > place.ClaimedAt, $"{place.BuyerId}'s hold was not taken and seen after its claim: {place}");
            var bookingTook = taken[holdIds[place.BuyerId]];
            Assert.True(place.HoldTakenAt is { } holdTaken && (holdTaken - bookingTook).Duration() < TimeSpan.FromMilliseconds(1),
                $"{place.BuyerId}'s hold is dated {place.HoldTakenAt:O}, but booking took it at {bookingTook:O}");
            Assert.True(place.HeldAt >= place.HoldTakenAt, $"{place.BuyerId}'s hold was seen before booking took it: {place}");
            Assert.Equal(TicketLimit, place.HeldUnits);
        });
        Assert.All(places.Where(place => !holds.ContainsKey(place.BuyerId)), place => Assert.Null(place.HeldAt));
        // The limit the queue went by is booking's, as its availability answer gave it.
        Assert.Equal(TicketLimit, await QueueRecords.QueueAsync<int>(boxoffice, sale.EventId, "ticket_limit"));
        buyers.ForEach(buyer => buyer.Dispose());
    }

    /// <summary>When booking took each hold: the <c>time</c> of its HoldCreated event in booking's outbox.</summary>
    private async Task<Dictionary<string, DateTimeOffset>> HoldTimesAsync(IEnumerable<string> holdIds, CancellationToken cancellationToken)
    {
        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("bookingdb"));
        await using var read = db.CreateCommand("SELECT key, payload FROM outbox WHERE type = 'boxoffice.booking.hold-created' AND key = ANY($1)");
        read.Parameters.Add(new() { Value = holdIds.ToArray() });
        await using var rows = await read.ExecuteReaderAsync(cancellationToken);
        var times = new Dictionary<string, DateTimeOffset>();
        while (await rows.ReadAsync(cancellationToken))
        {
            using var payload = JsonDocument.Parse(rows.GetFieldValue<byte[]>(1));
            times[rows.GetString(0)] = payload.RootElement.GetProperty("time").GetDateTimeOffset();
        }

        return times;
    }
}
