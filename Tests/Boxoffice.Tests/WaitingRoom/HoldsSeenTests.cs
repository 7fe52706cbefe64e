using Boxoffice.Contracts;
using Boxoffice.Contracts.Booking;
using Boxoffice.Messaging;
using Boxoffice.Tests.Messaging;

namespace Boxoffice.Tests.WaitingRoom;

/// <summary>
/// The waiting room learns of an admitted buyer's holds from booking's HoldCreated, and the ticker
/// reads two things from them (docs/adr/0010-waiting-room.md): the places each buyer took, and how
/// long buyers take from their claim to their first hold. A hold is the event's Kafka key, so two
/// holds of one buyer travel on partitions of their own and may be read in either order.
/// </summary>
[Collection<RunningApp>]
public sealed class HoldsSeenTests(BoxofficeApp boxoffice)
{
    [Fact]
    public async Task A_buyers_holds_read_out_of_order_count_all_their_places_and_the_time_of_the_first()
    {
        var sale = await QueuedSale.OpenAsync(boxoffice, new { });
        using var buyer = await QueueBuyer.NewAsync(boxoffice);
        await buyer.JoinAsync(sale.EventId);
        var now = DateTimeOffset.UtcNow;
        // Booking took the first hold 20 s ago, of two places, and the second 5 s ago, of one.
        var (firstTaken, secondTaken) = (now.AddSeconds(-20), now.AddSeconds(-5));
        var first = new HoldCreated(Guid.CreateVersion7(firstTaken), sale.EventId, buyer.Id, 2, now.AddMinutes(10));
        var second = new HoldCreated(Guid.CreateVersion7(secondTaken), sale.EventId, buyer.Id, 1, now.AddMinutes(10));
        using var booking = new KafkaTestPublisher(await boxoffice.ConnectionStringAsync("kafka"));

        // The later hold is read first: it is the first the queue sees, and the earliest it knows of.
        await PublishAsync(booking, second, secondTaken);
        var seen = await UntilHeldAsync(sale.EventId, buyer.Id, units: 1);
        Assert.Equal(secondTaken, seen.HoldTakenAt!.Value, TimeSpan.FromMilliseconds(1));
        Assert.NotNull(seen.HeldAt);

        // The earlier one, read after it: its places count too, and its time is the buyer's first hold.
        await PublishAsync(booking, first, firstTaken);
        var both = await UntilHeldAsync(sale.EventId, buyer.Id, units: 3);
        Assert.Equal(firstTaken, both.HoldTakenAt!.Value, TimeSpan.FromMilliseconds(1));
        Assert.Equal(seen.HeldAt, both.HeldAt);

        // A third, taken between them and read last: it counts, and the first hold stays the first.
        var thirdTaken = now.AddSeconds(-10);
        await PublishAsync(booking, new HoldCreated(Guid.CreateVersion7(thirdTaken), sale.EventId, buyer.Id, 1, now.AddMinutes(10)), thirdTaken);
        var all = await UntilHeldAsync(sale.EventId, buyer.Id, units: 4);
        Assert.Equal(firstTaken, all.HoldTakenAt!.Value, TimeSpan.FromMilliseconds(1));
        Assert.Equal(seen.HeldAt, all.HeldAt);
    }

    /// <summary><paramref name="hold"/> as booking's relay sends it: from booking's source, keyed by the hold, with the time booking took it.</summary>
    private static Task PublishAsync(KafkaTestPublisher booking, HoldCreated hold, DateTimeOffset taken) =>
        booking.Publisher.PublishAsync(Topics.BookingOrders, hold.AggregateId, CloudEvent.Serialize(hold, Guid.CreateVersion7(), EventSources.Booking, taken),
            cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>Until the buyer's place counts <paramref name="units"/> places held (30 s at most).</summary>
    private async Task<PlaceRecord> UntilHeldAsync(Guid eventId, string buyerId, int units)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var place = (await QueueRecords.PlacesAsync(boxoffice, eventId)).Single(place => place.BuyerId == buyerId);
            if (place.HeldUnits == units)
            {
                return place;
            }

            Assert.True(place.HeldUnits < units, $"The place counts {place.HeldUnits} places held, past the {units} expected.");
            Assert.True(DateTime.UtcNow < deadline, $"The place counts {place.HeldUnits} places held after 30 s, not {units}.");
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }
}
