namespace Boxoffice.Contracts.WaitingRoom;

/// <summary>The states a buyer's place (and a queue) can be in, as the status answers name them.</summary>
public static class QueueStates
{
    /// <summary>Joined before the sale opened: the place is drawn at the opening.</summary>
    public const string Prequeue = "pre-queue";

    /// <summary>In line: <c>position</c>, <c>ahead</c> and <c>estimatedWaitSeconds</c> say where.</summary>
    public const string Waiting = "waiting";

    /// <summary>It is the buyer's turn: <c>admission</c> is the token holds and orders need.</summary>
    public const string Admitted = "admitted";

    /// <summary>Nothing is left to sell right now; admission resumes if places come back.</summary>
    public const string SoldOut = "sold-out";

    /// <summary>The sale ended (closed or cancelled): nobody more is admitted.</summary>
    public const string Closed = "closed";
}

/// <summary>The headers of the waiting room's <c>GET /internal/queues</c>.</summary>
public static class QueueSnapshotHeaders
{
    /// <summary>When the waiting room read the queues it answers with (Unix milliseconds, its own clock): a queue created before then is listed.</summary>
    public const string ReadAt = "Boxoffice-Read-At";
}

/// <summary>
/// One event's queue as the waiting room last wrote it: what every gateway replica answers status
/// polls from, fetched from the waiting room's <c>GET /internal/queues</c> about twice a second.
/// <see cref="ServedThrough"/> is the highest rank offered admission so far (-1: none);
/// <see cref="FrontThrough"/> the highest rank of the front of the line: the first
/// <see cref="AdmitPerSecond"/> places still waiting, whose buyers have not left (-1: none, or no rate).
/// <see cref="ReachThrough"/> the highest rank the places left could reach: counting the places
/// the ticker may offer (waiting, their buyers still polling), as many as booking last counted
/// places free (one place a buyer, however many each takes), and at least the front. A place
/// beyond it is not offered before places come back or the buyers let in leave theirs
/// (<see cref="long.MaxValue"/>: no such bound, because the queue has no rate or booking has not
/// counted yet, or it is further than the rate reaches in <see cref="QueueSchedule.MaxPollSeconds"/>).
/// </summary>
public sealed record QueueSnapshot(
    Guid EventId,
    string State,
    DateTimeOffset PrequeueOpensAt,
    DateTimeOffset SaleOpensAt,
    bool Shuffled,
    long PrequeueCount,
    long ServedThrough,
    long AdmittedTotal,
    long Waiting,
    int? AdmitPerSecond,
    double AdmittedPerSecond,
    long FrontThrough = -1,
    long ReachThrough = long.MaxValue);

/// <summary>
/// What a buyer is told about their place: by the gateway's status endpoint and stream, and by the
/// waiting room's join and admission endpoints. <see cref="PollAfterSeconds"/> is when to ask
/// again (longer the further back); <see cref="Ticket"/> is returned by join, <see cref="Admission"/>
/// once admitted.
/// </summary>
public sealed record QueueStatus(
    Guid EventId,
    string State,
    long? Position,
    long? Ahead,
    int? EstimatedWaitSeconds,
    int? PollAfterSeconds,
    DateTimeOffset? OpensAt,
    string? Ticket = null,
    string? Admission = null,
    DateTimeOffset? AdmissionExpiresAt = null);

/// <summary>
/// How a place's status follows from its ticket and its queue's snapshot: one rule for the gateway
/// (every poll) and the waiting room (join), so both tell a buyer the same thing.
/// </summary>
public static class QueueSchedule
{
    /// <summary>The shortest and longest time a buyer is told to wait before polling again.</summary>
    public const int MinPollSeconds = 1;
    public const int MaxPollSeconds = 60;

    /// <summary><see cref="MaxPollSeconds"/>: by then a buyer who follows the schedule has polled again.</summary>
    public static readonly TimeSpan LongestPoll = TimeSpan.FromSeconds(MaxPollSeconds);

    /// <summary>
    /// For a queue without a rate, the pre-queue's first polls after the opening are spread over
    /// one second per this many places (2 s to <see cref="MaxPollSeconds"/>): a crowd told to come
    /// back at the same second is a stampede. (With a rate, <see cref="FirstPollAfterOpening"/>.)
    /// </summary>
    public const int OpeningPollsPerSecond = 500;

    /// <summary>
    /// A place that has not polled for this long is abandoned: skipped by admission until it polls
    /// again. Three of the longest poll intervals, so a buyer who follows the schedule is never skipped.
    /// </summary>
    public static readonly TimeSpan AbandonedAfter = TimeSpan.FromSeconds(3 * MaxPollSeconds);

    /// <summary>
    /// The status of <paramref name="ticket"/>'s place, or null when its turn may have come (its rank
    /// was offered admission): then only the waiting room can say, from its database.
    /// </summary>
    public static QueueStatus? StatusOf(QueueTicket ticket, QueueSnapshot queue, DateTimeOffset now)
    {
        switch (queue.State)
        {
            case QueueStates.Closed or QueueStates.SoldOut:
                return new QueueStatus(queue.EventId, queue.State, null, null, null, null, null);
            case QueueStates.Prequeue:
            case QueueStates.Waiting when !queue.Shuffled:
                // Shown at the opening: ask again after it, when the turn could come. Further than
                // the longest poll, once or more before that (the remainder first, then whole
                // longest polls), so the poll after the opening lands there all the same, and
                // buyers who polled together do not come back together.
                var untilOpening = Math.Max(0, (queue.SaleOpensAt - now).TotalSeconds);
                var at = untilOpening + FirstPollAfterOpening(ticket.Rank, queue);
                if (at > MaxPollSeconds)
                {
                    at -= MaxPollSeconds * Math.Floor((at - 1) / MaxPollSeconds);
                }

                return new QueueStatus(queue.EventId, QueueStates.Prequeue, null, null, null, (int)Math.Clamp(Math.Ceiling(at), MinPollSeconds, MaxPollSeconds), queue.SaleOpensAt);
        }

        if (ticket.Rank <= queue.ServedThrough)
        {
            return null;
        }

        var position = QueueRanks.Position(ticket.Rank, queue.PrequeueCount);
        var ahead = Math.Max(0, position - queue.AdmittedTotal - 1);
        var measured = queue.AdmittedPerSecond > 0 ? queue.AdmittedPerSecond : queue.AdmitPerSecond ?? 0;
        int? wait = measured > 0 ? (int)Math.Ceiling(ahead / measured) : null;
        // The next poll is due when the turn could come at the queue's own rate, not at the pace
        // measured: a queue held back by the places left (a trickle measured) offers as fast as its
        // rate allows the moment the holds it waits for are seen, and a buyer told the trickle's
        // wait hears of their offer up to a minute late while their unclaimed offer keeps the
        // places after it back. The front of the line, the places still waiting that one second at
        // the queue's rate would reach, polls every second. (Not "fewer ahead than the rate": after
        // a sell-out most of those ahead have left, and are not in the way.)
        var fastest = Math.Max(measured, queue.AdmitPerSecond ?? 0);
        int? soonest = fastest > 0 ? (int)Math.Ceiling(ahead / fastest) : null;
        // Beyond the reach of the places left, nothing comes before places do: such a place polls
        // within the second half of the minute (as the back does), not as the rate alone would say.
        var front = ticket.Rank <= queue.FrontThrough;
        var poll = front ? MinPollSeconds : PollAfter(soonest);
        if (ticket.Rank > queue.ReachThrough)
        {
            poll = Math.Max(poll, (int)Math.Ceiling(SecondHalfMinute(ticket.Rank)));
        }

        return new QueueStatus(queue.EventId, QueueStates.Waiting, position, ahead, wait, poll, queue.SaleOpensAt);
    }

    /// <summary>
    /// Seconds after the opening a pre-queue place polls first. The rank is drawn at the join and
    /// is in the ticket, so its share of the pre-queue so far estimates the position the opening
    /// will show (the buyer is not told it before). A place the queue's rate reaches within half
    /// the longest poll comes back when it could (within a second); the others, whom nothing
    /// can reach sooner, over the second half of the minute. So 10,000 buyers at 100 a second come
    /// back at most a few hundred a second over the first minute, not all within 20 s, while
    /// admitted buyers are taking the first holds. Without a rate (or with no count of the
    /// pre-queue yet): spread over a second per <see cref="OpeningPollsPerSecond"/> places.
    /// </summary>
    public static double FirstPollAfterOpening(long rank, QueueSnapshot queue)
    {
        if (queue.AdmitPerSecond is not { } rate || rate <= 0 || queue.Waiting <= 0 || !QueueRanks.IsPrequeue(rank))
        {
            return Math.Floor(Jitter(rank) * (Math.Clamp(queue.Waiting / OpeningPollsPerSecond, 2, MaxPollSeconds) + 1));
        }

        var turn = (QueueRanks.Position(rank, queue.Waiting) - 1) / (double)rate;
        return turn < MaxPollSeconds / 2 ? turn + Jitter(rank) : SecondHalfMinute(rank);
    }

    /// <summary>
    /// Within the second half of the minute, where in it fixed by the place: the poll of a place
    /// nothing can reach sooner. The same at every poll of one place, spread evenly over a crowd.
    /// </summary>
    public static double SecondHalfMinute(long rank) => MaxPollSeconds / 2 * (1 + Jitter(rank));

    /// <summary>
    /// A place's own number in [0, 1), from its rank by Fibonacci hashing: spread evenly over a
    /// crowd whether the ranks are random (the pre-queue) or count up (late arrivals), and the
    /// same at every poll of the place, so the schedule it sets is one the buyer can keep.
    /// </summary>
    private static double Jitter(long rank) => (unchecked((ulong)rank * 0x9E3779B97F4A7C15UL) >> 11) / (double)(1UL << 53);

    /// <summary>
    /// The time until a buyer's turn could come (the places ahead at the queue's own rate), between
    /// <see cref="MinPollSeconds"/> and <see cref="MaxPollSeconds"/>: a buyer comes back then, and
    /// again as often as the time left says if it has not. At a rate r, the places within r of the
    /// front poll every second, the middle adds about 0.7 r polls a second per doubling of the
    /// position, and the back polls once a minute: 10,000 waiting at 100 a second cost about 600
    /// polls a second, 50,000 at 50 a second about 1,000, when the places left reach them all.
    /// Places beyond that reach (<see cref="QueueSnapshot.ReachThrough"/>) poll within the second
    /// half of the minute instead: 10,000 behind 1,000 places cost about 500 a second at the
    /// opening, fewer as the places are taken. An offer stays open for its buyer until the abandon window, but counts
    /// against the places left only for the availability lag plus <see cref="LongestPoll"/>: near
    /// the end of a sale, a buyer who comes back later than that may find the place offered again
    /// further down the line, and then hears "sold out" at the hold.
    /// </summary>
    public static int PollAfter(int? secondsUntilTurn) =>
        secondsUntilTurn is { } wait ? Math.Clamp(wait, MinPollSeconds, MaxPollSeconds) : MaxPollSeconds / 2;
}
