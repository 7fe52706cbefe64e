using Boxoffice.Contracts.Catalog;
using Boxoffice.Contracts.WaitingRoom;
using Boxoffice.WaitingRoom.Queues;
using Npgsql;

namespace Boxoffice.WaitingRoom.Joining;

/// <summary>
/// Takes a buyer's place, once per queue. Whether it is early (a random rank: the shuffle) or late
/// (the next arrival number) is decided under the queue row's lock: early joins share it, the
/// opening tick and late joins take it alone, so a join racing the opening is either in the frozen
/// pre-queue or late, never both.
/// </summary>
internal static class Joins
{
    /// <summary>Draws a pre-queue rank again when the one drawn is taken (once in billions); more than a few in a row is a broken generator.</summary>
    private const int MaxDraws = 5;

    public static async Task<JoinOutcome> JoinAsync(
        NpgsqlTransaction transaction, WaitingRoomTokens tokens, JoinRequest? request, Guid eventId, string buyerId, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var queue = await QueueStore.FindAsync(transaction, eventId, RowLock.None, cancellationToken);
        if (queue is not { Enabled: true })
        {
            return new JoinOutcome.NoQueue();
        }

        if (QueueRules.IsClosed(queue, now))
        {
            return new JoinOutcome.Closed(queue.Status is EventStatusNames.Cancelled ? EventStatusNames.Cancelled : EventStatusNames.Closed);
        }

        if (now < queue.PrequeueOpensAt)
        {
            return new JoinOutcome.NotOpenYet(queue.PrequeueOpensAt);
        }

        // A rejoin gets the place back without more work: it takes nothing new.
        if (await PlaceStore.FindAsync(transaction, eventId, buyerId, cancellationToken) is { } place)
        {
            return new JoinOutcome.Joined(place, queue, First: false);
        }

        var proof = JoinRules.CheckProof(tokens, request, eventId, buyerId, queue.ProofOfWorkBits, now);
        if (proof != ProofCheck.Passed)
        {
            return new JoinOutcome.ProofFailed(proof);
        }

        return queue.ShuffledAt is null
            ? await JoinEarlyAsync(transaction, eventId, buyerId, now, cancellationToken)
            : await JoinLateAsync(transaction, eventId, buyerId, now, cancellationToken);
    }

    /// <summary>Before the opening: a uniformly random rank, under the row's share lock.</summary>
    private static async Task<JoinOutcome> JoinEarlyAsync(NpgsqlTransaction transaction, Guid eventId, string buyerId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var queue = (await QueueStore.FindAsync(transaction, eventId, RowLock.Share, cancellationToken))!;
        if (queue.ShuffledAt is not null)
        {
            return new JoinOutcome.RacedOpening();
        }

        for (var draw = 1; draw <= MaxDraws; draw++)
        {
            if (await PlaceStore.TryInsertAsync(transaction, eventId, buyerId, QueueRanks.DrawPrequeue(), prequeue: true, now, cancellationToken) is { } place)
            {
                return new JoinOutcome.Joined(place, queue, First: true);
            }

            // Not inserted: the buyer joined meanwhile in another request, or the rank is taken.
            if (await PlaceStore.FindAsync(transaction, eventId, buyerId, cancellationToken) is { } existing)
            {
                return new JoinOutcome.Joined(existing, queue, First: false);
            }
        }

        throw new InvalidOperationException($"{MaxDraws} pre-queue ranks drawn in a row for event {eventId} were all taken.");
    }

    /// <summary>After the opening: the next arrival number, under the row's update lock.</summary>
    private static async Task<JoinOutcome> JoinLateAsync(NpgsqlTransaction transaction, Guid eventId, string buyerId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var queue = (await QueueStore.FindAsync(transaction, eventId, RowLock.Update, cancellationToken))!;
        // Under the lock, a join of the same buyer that got in first is visible: no arrival number is spent on a rejoin.
        if (await PlaceStore.FindAsync(transaction, eventId, buyerId, cancellationToken) is { } existing)
        {
            return new JoinOutcome.Joined(existing, queue, First: false);
        }

        var arrival = await QueueStore.NextLateArrivalAsync(transaction, eventId, cancellationToken);
        // A sold-out queue answers the join so, and its buyer is not expected back: out of line until they ask again.
        var place = await PlaceStore.TryInsertAsync(
                transaction, eventId, buyerId, QueueRanks.Late(arrival), prequeue: false, now, cancellationToken, soldOut: QueueRules.StateOf(queue, now) == QueueStates.SoldOut)
            ?? throw new InvalidOperationException($"Arrival {arrival} of event {eventId} found its rank or its buyer taken under the queue's lock.");
        return new JoinOutcome.Joined(place, queue with { LateJoins = arrival }, First: true);
    }
}
