namespace Boxoffice.WaitingRoom.Queues;

/// <summary>An event's queue as its row keeps it: the catalog's view of the event, its waiting room's settings, and the metering.</summary>
internal sealed record QueueRow(
    Guid EventId,
    int Version,
    string Status,
    DateTimeOffset SaleOpensAt,
    DateTimeOffset SaleClosesAt,
    DateTimeOffset? ClosedAt,
    bool Enabled,
    DateTimeOffset PrequeueOpensAt,
    int? AdmitPerSecond,
    int? MaxAdmitted,
    int AdmissionMinutes,
    int ProofOfWorkBits,
    DateTimeOffset? ShuffledAt,
    long PrequeueCount,
    long LateJoins,
    long ServedThrough,
    long AdmittedTotal,
    double Credit,
    DateTimeOffset? LastTickAt,
    bool SoldOut,
    long AbandonedTotal,
    long? PlacesLeft = null,
    DateTimeOffset? PlacesLeftAt = null,
    int? TicketLimit = null);

/// <summary>A queue with what its places add up to when it was read: places waiting, and offers made in the last <see cref="QueueRules.RateWindow"/>.</summary>
internal sealed record QueueView(QueueRow Queue, long Waiting, long RecentOffers, DateTimeOffset ReadAt, long FrontThrough = -1, long ReachThrough = long.MaxValue)
{
    /// <summary>Offers a second, measured over the last few seconds (0 before the opening).</summary>
    public double AdmittedPerSecond => QueueRules.MeasuredRate(RecentOffers, Queue.ShuffledAt, ReadAt);
}

/// <summary>What anybody may know of an event's waiting room (<c>GET /events/{id}</c>).</summary>
internal sealed record QueueInfo(
    Guid EventId,
    string State,
    DateTimeOffset PrequeueOpensAt,
    DateTimeOffset SaleOpensAt,
    int? AdmitPerSecond,
    int? MaxAdmitted,
    int AdmissionMinutes,
    int ProofOfWorkBits,
    long Waiting,
    long AdmittedTotal);

/// <summary>A buyer's place in a queue.</summary>
internal sealed record Place(
    Guid EventId,
    string BuyerId,
    long Rank,
    bool Prequeue,
    DateTimeOffset JoinedAt,
    DateTimeOffset? OfferedAt,
    DateTimeOffset? ClaimedAt,
    DateTimeOffset? AdmissionExpiresAt);

/// <summary>What applying a catalog event to a queue came to.</summary>
internal enum QueueChange
{
    Applied,

    /// <summary>A newer version was applied already.</summary>
    Stale,

    /// <summary>The event is not known yet (its EventPublished is still to come).</summary>
    Unknown,
}

/// <summary>What one place offered by a tick was: its rank, and whether it was offered for the first time.</summary>
internal readonly record struct Offer(long Rank, bool First);

/// <summary>
/// How an event's admitted buyers have held so far (booking's HoldCreated, as the queue saw them):
/// how many buyers held and the places they took together, and how long the recent ones took from
/// claiming their admission to their hold, when booking took it (the 90th percentile; null before
/// any hold was seen).
/// </summary>
internal sealed record HoldPace(long Buyers, long Places, TimeSpan? ClaimToHold);
