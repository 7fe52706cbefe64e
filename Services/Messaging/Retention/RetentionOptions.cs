using System.ComponentModel.DataAnnotations;

namespace Boxoffice.Messaging.Retention;

/// <summary>How long the outbox and the inbox keep their rows, and how often they are purged, under <c>Messaging:Retention</c>.</summary>
public sealed class RetentionOptions
{
    public const string Section = "Messaging:Retention";

    /// <summary>How often a replica purges (one replica at a time; the others find the purge busy and skip it).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a published outbox row is kept after it was published. Parked rows are kept until a person acts.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "3650.00:00:00")]
    public TimeSpan Outbox { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// How long an inbox row is kept after its event was handled. An event delivered again after
    /// its row is gone is handled again: keep rows at least as long as the topics keep messages.
    /// </summary>
    [Range(typeof(TimeSpan), "01:00:00", "3650.00:00:00")]
    public TimeSpan Inbox { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Rows deleted per statement (and transaction); a purge repeats until a statement deletes fewer.</summary>
    [Range(100, 50_000)]
    public int BatchSize { get; set; } = 5_000;
}
