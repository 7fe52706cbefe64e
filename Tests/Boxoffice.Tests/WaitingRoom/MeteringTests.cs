using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Boxoffice.Tests.Edge;

namespace Boxoffice.Tests.WaitingRoom;

/// <summary>
/// Admission keeps its rate whatever breaks (docs/adr/0010-waiting-room.md): metered in PostgreSQL
/// by one ticker at a time across the waiting room's replicas, it never bursts past the rate, never
/// admits anybody twice, and carries on through a Redis restart and a killed replica.
/// </summary>
[Collection<RunningApp>]
public sealed class MeteringTests(BoxofficeApp boxoffice)
{
    private const int Buyers = 80;
    private const int Rate = 5;

    [Fact]
    public async Task Admission_keeps_its_rate_and_admits_nobody_twice_through_a_Redis_restart_and_a_killed_replica()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        Assert.Equal(2, BoxofficeApp.WaitingRoomReplicas);
        // A connection each: the buyers' polls are spread over both gateway replicas.
        var buyers = new List<QueueBuyer>();
        for (var i = 0; i < Buyers; i++)
        {
            buyers.Add(await QueueBuyer.NewAsync(boxoffice));
        }

        // Places for every buyer even if each took the ticket limit: the rate alone meters them, not the places left.
        var joined = new ConcurrentDictionary<string, string>();
        var sale = await QueuedSale.OpenWithPrequeueAsync(boxoffice, new { admitPerSecond = Rate }, TimeSpan.FromSeconds(10), async sale =>
        {
            using (var info = await buyers[0].Buyer.Gateway.GetAsync($"{QueueBuyer.Api}{sale.EventId}", cancellationToken))
            {
                Assert.Equal(Rate, JsonDocument.Parse(await info.Content.ReadAsStringAsync(cancellationToken)).RootElement.GetProperty("admitPerSecond").GetInt32());
            }

            joined.Clear();
            await Parallel.ForEachAsync(buyers, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (buyer, _) =>
                joined[buyer.Id] = (await buyer.JoinAsync(sale.EventId)).Place.State);
        }, places: 200, ticketLimit: 2);
        Assert.All(buyers, buyer => Assert.Equal("pre-queue", joined[buyer.Id]));

        // From the opening every buyer polls about twice a second until admitted (waiting out its own limit's 429s).
        await Task.Delay(TimeSpan.FromTicks(Math.Max(0, (sale.SaleOpensAt - DateTimeOffset.UtcNow).Ticks)), cancellationToken);
        var admitted = 0;
        var polling = buyers.Select(async buyer =>
        {
            var status = await buyer.AdmittedAsync(sale.EventId, TimeSpan.FromMinutes(3), TimeSpan.FromMilliseconds(500));
            Interlocked.Increment(ref admitted);
            return status;
        }).ToList();

        // Once admission is under way: one waiting-room replica killed and Redis stopped, both for a few seconds.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Volatile.Read(ref admitted) < Rate)
        {
            Assert.True(DateTime.UtcNow < deadline, $"Only {admitted} buyers were admitted in the first minute after the opening.");
            await Task.Delay(100, cancellationToken);
        }

        var faultsFrom = DateTimeOffset.UtcNow;
        var killed = await ServiceProcesses.KillOneAsync(boxoffice, "waiting-room", "Boxoffice.WaitingRoom", cancellationToken);
        try
        {
            await RedisServer.StopAsync(boxoffice, cancellationToken);
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        }
        finally
        {
            await ServiceProcesses.StartAsync(boxoffice, killed, CancellationToken.None);
            await RedisServer.StartAsync(boxoffice);
        }

        var faultsUntil = DateTimeOffset.UtcNow;
        await RedisServer.RecoveredAsync(boxoffice);
        var admissions = await Task.WhenAll(polling);

        var tokens = await QueueTokens.ForAsync(boxoffice);
        var places = await QueueRecords.PlacesAsync(boxoffice, sale.EventId);
        Assert.Equal(Buyers, places.Count);

        // Everybody admitted, once: one offer each (never withdrawn and made again), one claim, one admission.
        Assert.All(places, place =>
        {
            Assert.True(place.Offered is not null && place.ClaimedAt is not null && place.AdmissionExpiresAt is not null, $"{place.BuyerId} was not offered and claimed: {place}");
            Assert.True(place.OfferedAt is null || place.FirstOfferedAt is null || place.OfferedAt == place.FirstOfferedAt, $"{place.BuyerId} was offered twice: {place}");
        });
        Assert.Equal(Buyers, await QueueRecords.QueueAsync<long>(boxoffice, sale.EventId, "admitted_total"));
        Assert.Equal(0L, await QueueRecords.QueueAsync<long>(boxoffice, sale.EventId, "abandoned_total"));
        var expiries = places.ToDictionary(place => place.BuyerId, place => place.AdmissionExpiresAt!.Value);
        for (var i = 0; i < Buyers; i++)
        {
            var admission = tokens.ReadAdmission(admissions[i].Admission);
            Assert.NotNull(admission);
            Assert.Equal((sale.EventId, buyers[i].Id), (admission.EventId, admission.BuyerId));
            Assert.InRange(admission.ExpiresAtUnix - expiries[buyers[i].Id].ToUnixTimeSeconds(), -1, 1);

            // Asking again gives the same admission, not a new one.
            var again = await buyers[i].AdmittedAsync(sale.EventId);
            Assert.Equal(admissions[i].AdmissionExpiresAt, again.AdmissionExpiresAt);
            Assert.Equal(admissions[i].Admission, again.Admission);
        }

        // The rate: in any W seconds (1 to 10), at most Rate × W offers, and one interval's worth more.
        var offers = places.Select(place => place.Offered!.Value).Order().ToList();
        for (var seconds = 1; seconds <= 10; seconds++)
        {
            var window = TimeSpan.FromSeconds(seconds);
            var most = offers.Select((start, index) => offers.Skip(index).TakeWhile(offer => offer - start < window).Count()).Max();
            Assert.True(most <= Rate * seconds + Rate, $"{most} offers in {seconds} s; the rate allows {Rate * seconds + Rate}. Offers: {string.Join(", ", offers.Select(offer => offer.ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture)))}");
        }

        // And it kept going during the faults, on the replica that was left (and after them: everybody was admitted).
        Assert.Contains(offers, offer => offer > faultsFrom && offer < faultsUntil);

        buyers.ForEach(buyer => buyer.Dispose());
    }
}
