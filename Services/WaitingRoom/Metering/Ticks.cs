using Boxoffice.Contracts.WaitingRoom;
using Boxoffice.Postgres;
using Boxoffice.WaitingRoom.Queues;
using Npgsql;

namespace Boxoffice.WaitingRoom.Metering;

/// <summary>What one tick of one queue did.</summary>
/// <param name="Opened">This tick froze the pre-queue (of <paramref name="PrequeueCount"/> places).</param>
/// <param name="Offered">Places offered admission.</param>
/// <param name="Withdrawn">Offers withdrawn because nobody claimed them in the abandon window.</param>
internal sealed record TickOutcome(bool Opened, long PrequeueCount, int Offered, int Withdrawn, bool SoldOut, long ServedThrough);

/// <summary>
/// One tick of one queue, in one transaction under the queue's advisory lock (one replica admits
/// per event at a time) and its row's update lock (joins wait; the opening and the arrivals after
/// it never overlap): freeze the pre-queue at the opening, take booking's word on what is left
/// (its last word while it does not answer in time),
/// withdraw abandoned offers, and offer what the credit and the cap allow, and no more than the
/// buyers the places left can serve once the buyers on their way are taken off: the unclaimed
/// offers whose buyers are still due to poll, and the claims whose holds the queue has not seen
/// (booking's HoldCreated) for as long as recent buyers took to hold. So when places are few, they
/// wait for the buyers first in line, not for whoever polls fastest further back, and the buyers
/// let in do not race each other for them.
/// </summary>
internal static class Ticks
{
    /// <summary>The holds whose claim-to-hold times set how long a claim counts as on its way: the latest this many seen.</summary>
    private const int HoldPaceSample = 200;

    /// <param name="available">Booking's count of the places left, with the event's ticket limit; null when it did not answer in time.</param>
    /// <param name="asked">When booking was asked for that count.</param>
    public static async Task<TickOutcome?> RunAsync(
        NpgsqlTransaction transaction, Guid eventId, BookingCount? available, DateTimeOffset asked, WaitingRoomOptions options, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var abandonedAfter = options.AbandonedAfter;
        if (!await transaction.TryLockAsync($"boxoffice-waiting-room-tick:{eventId}", cancellationToken))
        {
            return null;
        }

        var queue = await QueueStore.FindAsync(transaction, eventId, RowLock.Update, cancellationToken);
        // Now, once the locks are held: the credit is added for the time that really passed.
        var now = time.Now();
        if (queue is not { Enabled: true } || !QueueRules.IsOpen(queue, now))
        {
            return null;
        }

        var opening = queue.ShuffledAt is null;
        var prequeueCount = opening ? await PlaceStore.CountPrequeueAsync(transaction, eventId, cancellationToken) : queue.PrequeueCount;
        // Booking silent: its last word on sold out stands, and its last count caps the offers.
        var isSoldOut = available is { } left ? left.Available == 0 : queue.SoldOut;
        // Withdrawn first: an offer whose buyer left is neither in flight nor open.
        var withdrawn = await PlaceStore.WithdrawAbandonedAsync(transaction, eventId, now - abandonedAfter, cancellationToken);
        var counted = available is { } fresh ? (Places: fresh.Available, At: asked, TicketLimit: fresh.TicketLimit ?? queue.TicketLimit)
            : queue is { PlacesLeft: { } last, PlacesLeftAt: { } lastAt } ? (Places: last, At: lastAt, queue.TicketLimit)
            : ((long Places, DateTimeOffset At, int? TicketLimit)?)null;
        // Until booking has given a count, nobody: no hold could be taken, and the opening would
        // otherwise let in a whole interval's credit with nothing to say how many the places serve.
        var buyersLeft = 0L;
        if (counted is { } count)
        {
            var pace = await PlaceStore.HoldPaceAsync(transaction, eventId, HoldPaceSample, cancellationToken);
            var holdWait = MeteringRules.HoldWait(pace.ClaimToHold, options.AvailabilityLag, options.LongestHoldWait);
            // A hold seen after booking's count was taken (less the count's age) may not be in that
            // count; nor may the hold of a claim younger than the hold wait before the count, which
            // the holds consumer may not have read yet, however far behind it is.
            var countedFrom = (count.At < now ? count.At : now) - options.BookingCountsAge;
            var inFlight = await PlaceStore.CountInFlightAsync(
                transaction, eventId, now - options.AvailabilityLag - QueueSchedule.LongestPoll, countedFrom - holdWait, countedFrom, cancellationToken);
            buyersLeft = MeteringRules.BuyersLeft(count.Places, inFlight, MeteringRules.PlacesPerBuyer(pace.Buyers, pace.Places, count.TicketLimit));
        }

        var holding = queue.MaxAdmitted is null ? 0 : await PlaceStore.CountHoldingAsync(transaction, eventId, now - abandonedAfter, now, cancellationToken);
        var metered = MeteringRules.Next(queue.Credit, queue.LastTickAt, now, queue.AdmitPerSecond, queue.MaxAdmitted, holding, isSoldOut, buyersLeft, options.TickInterval);
        var offers = await PlaceStore.OfferAsync(transaction, eventId, metered.Offers, now - abandonedAfter, now, cancellationToken);

        var servedThrough = offers.Count > 0 ? Math.Max(queue.ServedThrough, offers.Max(offer => offer.Rank)) : queue.ServedThrough;
        await QueueStore.SaveTickAsync(transaction, eventId, new QueueTick(
            now, queue.ShuffledAt ?? now, prequeueCount, isSoldOut, metered.CreditAfter(offers.Count), servedThrough, offers.Count(offer => offer.First), withdrawn,
            counted?.Places, counted?.At, counted?.TicketLimit),
            cancellationToken);
        return new TickOutcome(opening, prequeueCount, offers.Count, withdrawn, isSoldOut, servedThrough);
    }
}
