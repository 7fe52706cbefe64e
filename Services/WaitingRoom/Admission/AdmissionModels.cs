using Boxoffice.WaitingRoom.Queues;

namespace Boxoffice.WaitingRoom.Admission;

/// <summary>What asking for an admission came to.</summary>
internal abstract record AdmissionOutcome
{
    /// <summary>The event has no waiting room.</summary>
    public sealed record NoQueue : AdmissionOutcome;

    /// <summary>The ticket names no place of this queue (its rank is not the place's).</summary>
    public sealed record UnknownPlace : AdmissionOutcome;

    /// <summary>The place holds a valid admission; <see cref="NewlyClaimed"/> when this request claimed it.</summary>
    public sealed record Admitted(Place Place, QueueRow Queue, bool NewlyClaimed) : AdmissionOutcome;

    /// <summary>The place was admitted and its admission ran out: a place is admitted once.</summary>
    public sealed record Expired(DateTimeOffset ExpiredAt) : AdmissionOutcome;

    /// <summary>Not (or no longer) offered, or the queue is not admitting: the status says what.</summary>
    public sealed record NotAdmitted(QueueRow Queue) : AdmissionOutcome;
}
