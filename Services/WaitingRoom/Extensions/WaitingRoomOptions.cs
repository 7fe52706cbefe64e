using System.ComponentModel.DataAnnotations;
using Boxoffice.Contracts.WaitingRoom;

namespace Boxoffice.WaitingRoom;

/// <summary>The waiting room's settings, under <c>WaitingRoom</c> (environment: <c>WaitingRoom__TickInterval</c>, ...); validated at start.</summary>
internal sealed class WaitingRoomOptions
{
    public const string Section = "WaitingRoom";

    /// <summary>How often each replica's ticker meters admission (one replica per event at a time).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// An offer nobody claims for this long is withdrawn, and a place that has not polled for this
    /// long is not offered. At least three of the longest poll intervals, so a buyer who follows
    /// the schedule is never skipped.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:15", "01:00:00")]
    public TimeSpan AbandonedAfter { get; set; } = QueueSchedule.AbandonedAfter;

    /// <summary>The key the gateway sends to <c>/internal/queues</c> (<see cref="Boxoffice.Contracts.WaitingRoom.InternalKey"/>).</summary>
    [Required]
    [MinLength(Boxoffice.Contracts.WaitingRoom.InternalKey.MinLength)]
    public string InternalKey { get; set; } = "";

    /// <summary>Booking's base address (service discovery), asked for each open queue's availability at every tick.</summary>
    [Required]
    public string BookingUrl { get; set; } = "https+http://booking";

    /// <summary>
    /// How long after an offer the buyer's hold may still be missing from booking's availability
    /// (its cached counts' age, a poll to claim the offer, the hold itself): unclaimed offers count
    /// against the places booking says are left for this long plus the longest poll interval, and
    /// a claimed admission whose hold the queue has not seen counts for at least this long, so the
    /// tail of a sale does not admit more buyers than there are places.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan AvailabilityLag { get; set; } = TimeSpan.FromSeconds(6);

    /// <summary>
    /// The longest a claimed admission whose hold the queue has not seen counts against the places
    /// left (counted back from booking's count, less <see cref="BookingCountsAge"/>), however long
    /// recent buyers took to hold: a buyer who never holds keeps nobody out for longer.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan LongestHoldWait { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How much older than the moment it was asked booking's count of the places left may be (its cached counts' age, 2 s, and a margin): a hold the queue saw after that may be missing from the count.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan BookingCountsAge { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long a tick waits for booking's availability before it keeps the last answer.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:30")]
    public TimeSpan AvailabilityTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
