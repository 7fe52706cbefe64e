using Boxoffice.Contracts.WaitingRoom;
using Boxoffice.WaitingRoom.Queues;
using Npgsql;

namespace Boxoffice.WaitingRoom.Admission;

/// <summary>
/// A buyer whose turn may have come asks for their admission: the place is marked seen, and an
/// offer still open is claimed, once, for the queue's admission minutes. Asking again returns the
/// same admission until it expires; it is never renewed.
/// </summary>
internal static class Admissions
{
    public static async Task<AdmissionOutcome> AskAsync(
        NpgsqlTransaction transaction, QueueTicket ticket, DateTimeOffset now, TimeSpan abandonedAfter, CancellationToken cancellationToken)
    {
        var queue = await QueueStore.FindAsync(transaction, ticket.EventId, RowLock.None, cancellationToken);
        if (queue is not { Enabled: true })
        {
            return new AdmissionOutcome.NoQueue();
        }

        // Only a queue that admits hands out admissions: nothing is claimed before the opening,
        // while sold out (the offer waits, or is withdrawn and made again; at once when its buyer
        // was told "sold out" by a poll) or once the sale ended.
        var state = QueueRules.StateOf(queue, now);
        var place = await PlaceStore.SeenAndClaimAsync(
            transaction, ticket.EventId, ticket.BuyerId, now, claimable: state == QueueStates.Waiting, now - abandonedAfter, queue.AdmissionMinutes, cancellationToken);
        if (place is null || place.Rank != ticket.Rank)
        {
            return new AdmissionOutcome.UnknownPlace();
        }

        if (state != QueueStates.Closed && place is { ClaimedAt: { } claimedAt, AdmissionExpiresAt: { } expiresAt })
        {
            return expiresAt > now
                ? new AdmissionOutcome.Admitted(place, queue, NewlyClaimed: claimedAt == now)
                : new AdmissionOutcome.Expired(expiresAt);
        }

        return new AdmissionOutcome.NotAdmitted(queue);
    }
}
