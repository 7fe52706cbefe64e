using Boxoffice.WaitingRoom.Queues;

namespace Boxoffice.WaitingRoom.Joining;

/// <summary>
/// The body of a join, needed only when the queue asks for a proof of work: the challenge from
/// <c>POST .../challenge</c> and a solution (SHA-256 of <c>challenge:solution</c> starts with the
/// challenge's number of zero bits).
/// </summary>
internal sealed record JoinRequest(string? Challenge, string? Solution);

/// <summary>A proof-of-work puzzle for joining: solve it and send both with the join before <see cref="ExpiresAt"/>.</summary>
internal sealed record ChallengeView(string Challenge, int Bits, DateTimeOffset ExpiresAt);

/// <summary>What a proof of work came to.</summary>
internal enum ProofCheck
{
    Passed,
    Missing,
    Invalid,
    Expired,
    OtherBuyerOrEvent,

    /// <summary>The challenge asks for fewer bits than the queue does now (the organizer raised them).</summary>
    TooEasy,
    Unsolved,
}

/// <summary>What a join came to.</summary>
internal abstract record JoinOutcome
{
    /// <summary>The event has no waiting room.</summary>
    public sealed record NoQueue : JoinOutcome;

    /// <summary>The pre-queue opens at <see cref="OpensAt"/>.</summary>
    public sealed record NotOpenYet(DateTimeOffset OpensAt) : JoinOutcome;

    /// <summary>The sale ended: <see cref="EventStatus"/> is closed or cancelled.</summary>
    public sealed record Closed(string EventStatus) : JoinOutcome;

    public sealed record ProofFailed(ProofCheck Check) : JoinOutcome;

    /// <summary>The buyer's place: taken now (<see cref="First"/>), or the one they had.</summary>
    public sealed record Joined(Place Place, QueueRow Queue, bool First) : JoinOutcome;

    /// <summary>The opening froze the pre-queue while this join waited for it: join again, as a late arrival.</summary>
    public sealed record RacedOpening : JoinOutcome;
}
