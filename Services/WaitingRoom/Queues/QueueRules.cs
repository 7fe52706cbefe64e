using Boxoffice.Contracts.Catalog;
using Boxoffice.Contracts.WaitingRoom;

namespace Boxoffice.WaitingRoom.Queues;

/// <summary>
/// What a queue's row says about it at a given time: its state, whether the ticker meters it, and
/// the snapshot the gateway answers status polls from. One rule for the snapshots, the join, the
/// admission and the ticker, so they never disagree.
/// </summary>
internal static class QueueRules
{
    /// <summary>How long a closed queue is still in the snapshots, so buyers still waiting are told it closed.</summary>
    public static readonly TimeSpan ShownAfterClosing = TimeSpan.FromMinutes(10);

    /// <summary>The span the admission rate is measured over.</summary>
    public static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(10);

    /// <summary>The sale ended: closed or cancelled in the catalog, or past its close.</summary>
    public static bool IsClosed(QueueRow queue, DateTimeOffset now) =>
        queue.Status is EventStatusNames.Closed or EventStatusNames.Cancelled || now >= queue.SaleClosesAt;

    /// <summary>
    /// The sale is open, so admission runs: the organizer opened it (booking sells only then) and
    /// its announced opening has come. Before that everyone who joins is in the pre-queue.
    /// </summary>
    public static bool IsOpen(QueueRow queue, DateTimeOffset now) =>
        !IsClosed(queue, now) && queue.Status == EventStatusNames.OnSale && now >= queue.SaleOpensAt;

    /// <summary>The queue's state (<see cref="QueueStates"/>): closed, pre-queue, sold-out or waiting.</summary>
    public static string StateOf(QueueRow queue, DateTimeOffset now) =>
        IsClosed(queue, now) ? QueueStates.Closed
        : !IsOpen(queue, now) ? QueueStates.Prequeue
        : queue.SoldOut ? QueueStates.SoldOut
        : QueueStates.Waiting;

    /// <summary>
    /// Offers a second over the last <see cref="RateWindow"/>, or since the opening when that was
    /// more recent (so the first seconds are not read as slow); 0 before the opening.
    /// </summary>
    public static double MeasuredRate(long recentOffers, DateTimeOffset? shuffledAt, DateTimeOffset now)
    {
        if (shuffledAt is not { } opened || recentOffers <= 0)
        {
            return 0;
        }

        var seconds = Math.Clamp((now - opened).TotalSeconds, 1, RateWindow.TotalSeconds);
        return Math.Round(recentOffers / seconds, 2);
    }

    /// <summary>The queue as the gateway answers status from it.</summary>
    public static QueueSnapshot Snapshot(
        QueueRow queue, long waiting, double admittedPerSecond, DateTimeOffset now, long frontThrough = -1, long reachThrough = long.MaxValue) => new(
        queue.EventId,
        StateOf(queue, now),
        queue.PrequeueOpensAt,
        queue.SaleOpensAt,
        queue.ShuffledAt is not null,
        queue.PrequeueCount,
        queue.ServedThrough,
        queue.AdmittedTotal,
        waiting,
        queue.AdmitPerSecond,
        admittedPerSecond,
        frontThrough,
        reachThrough);

    public static QueueSnapshot Snapshot(QueueView view, DateTimeOffset now) =>
        Snapshot(view.Queue, view.Waiting, view.AdmittedPerSecond, now, view.FrontThrough, view.ReachThrough);

    /// <summary>What anybody may know of the queue.</summary>
    public static QueueInfo Info(QueueView view, DateTimeOffset now)
    {
        var queue = view.Queue;
        return new QueueInfo(queue.EventId, StateOf(queue, now), queue.PrequeueOpensAt, queue.SaleOpensAt, queue.AdmitPerSecond, queue.MaxAdmitted,
            queue.AdmissionMinutes, queue.ProofOfWorkBits, view.Waiting, queue.AdmittedTotal);
    }

    /// <summary>
    /// A place's status from its ticket and the queue, as the gateway would answer it; where the
    /// gateway would ask the waiting room (the rank was offered), a waiting status with nobody
    /// ahead that asks again in a second.
    /// </summary>
    public static QueueStatus StatusOf(QueueTicket ticket, QueueSnapshot queue, DateTimeOffset now) =>
        QueueSchedule.StatusOf(ticket, queue, now)
        ?? new QueueStatus(queue.EventId, QueueStates.Waiting, null, 0, null, QueueSchedule.MinPollSeconds, queue.SaleOpensAt);
}
