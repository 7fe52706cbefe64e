namespace Boxoffice.Booking;

/// <summary>Booking's settings, under <c>Booking</c>.</summary>
internal sealed class BookingOptions
{
    /// <summary>How long a hold keeps its units for the buyer; an order must be paid within it.</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:05", "1.00:00:00")]
    public TimeSpan HoldDuration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Units one buyer may hold or own per event, together: the cap of an event without a ticket
    /// limit, and the ceiling of one with (an organizer's limit can lower it, never raise it).
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(1, 100)]
    public int MaxUnitsPerBuyer { get; set; } = 6;

    /// <summary>
    /// Holds one buyer may abandon (release, or let expire) per event within
    /// <see cref="AbandonedHoldWindow"/>; past it, their next hold on the event waits until the
    /// oldest leaves the window. A hold, release, hold loop cannot keep places off sale for long.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(1, 100)]
    public int MaxAbandonedHolds { get; set; } = 3;

    /// <summary>
    /// The window <see cref="MaxAbandonedHolds"/> counts over, by when each hold was taken. At most
    /// an hour, so that the retention (ended holds are kept at least an hour after they expire)
    /// never deletes a hold it still counts.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:01:00", "01:00:00")]
    public TimeSpan AbandonedHoldWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long past its hold's expiry a pending order waits for a late payment result before it is cancelled.</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan PaymentGrace { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// When a buyer's app should look at an order again while its payment is processed: the
    /// <c>Retry-After</c> of a pending order's answer. Every app waiting on a payment polls, so in a
    /// flash sale's rush the pace is the server's to choose: at the harness's 0.4 to 0.8 s, a
    /// third of the requests after the opening were these polls, on the machine that was processing
    /// the payments. Whole seconds (the header's unit).
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan PendingOrderPollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the sweeper looks for expired holds and overdue orders.</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the sale's gauges (places per event, orders pending and overdue) are counted again.</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan GaugeInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the public availability counts are served from Redis before they are counted again.</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan AvailabilityCacheTime { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The ECDSA P-256 private key (PKCS#8 PEM) that signs ticket codes, as a secret. Without one,
    /// the first replica creates a key and keeps it in bookingdb (development).
    /// </summary>
    public string? TicketSigningKey { get; set; }
}
