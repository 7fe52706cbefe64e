using System.ComponentModel.DataAnnotations;
using Boxoffice.Messaging.Outbox;
using Boxoffice.Messaging.Retention;

namespace Boxoffice.UnitTests.Messaging;

/// <summary>
/// The retention purge's pure parts: the outbox's cut by UUIDv7 (the purge walks the
/// <c>message_id</c> index only up to it) and the settings' bounds.
/// </summary>
public sealed class RetentionTests
{
    private static readonly DateTimeOffset Cut = new(2026, 12, 3, 10, 15, 30, 123, TimeSpan.Zero);

    [Fact]
    public void Every_uuidv7_made_before_the_cut_sorts_below_it_in_postgresql_order()
    {
        var bound = Ordered(OutboxRetention.CreatedBefore(Cut));

        for (var i = 0; i < 1_000; i++)
        {
            Assert.True(string.CompareOrdinal(Ordered(Guid.CreateVersion7(Cut.AddMilliseconds(-1))), bound) < 0);
            Assert.True(string.CompareOrdinal(Ordered(Guid.CreateVersion7(Cut.AddDays(-7))), bound) < 0);
        }
    }

    [Fact]
    public void No_uuidv7_made_at_or_after_the_cut_sorts_below_it()
    {
        var bound = Ordered(OutboxRetention.CreatedBefore(Cut));

        for (var i = 0; i < 1_000; i++)
        {
            Assert.True(string.CompareOrdinal(Ordered(Guid.CreateVersion7(Cut)), bound) >= 0);
            Assert.True(string.CompareOrdinal(Ordered(Guid.CreateVersion7(Cut.AddMilliseconds(1))), bound) > 0);
        }
    }

    [Fact]
    public void The_cut_is_itself_a_uuidv7_of_that_millisecond()
    {
        var cut = OutboxRetention.CreatedBefore(Cut);

        Assert.Equal(7, cut.Version);
        Assert.Equal(Cut.ToUnixTimeMilliseconds().ToString("x12", System.Globalization.CultureInfo.InvariantCulture), cut.ToString("N")[..12]);
    }

    [Fact]
    public void The_defaults_keep_a_week_and_purge_every_ten_minutes_in_batches_of_5000()
    {
        var options = new RetentionOptions();

        Assert.Equal((TimeSpan.FromMinutes(10), TimeSpan.FromDays(7), TimeSpan.FromDays(7), 5_000), (options.Interval, options.Outbox, options.Inbox, options.BatchSize));
        Assert.Empty(Errors(options));
    }

    [Fact]
    public void Rows_are_kept_at_least_an_hour()
    {
        var options = new RetentionOptions { Outbox = TimeSpan.FromMinutes(59), Inbox = TimeSpan.Zero, Interval = TimeSpan.Zero, BatchSize = 1_000_000 };

        Assert.Equal(["BatchSize", "Inbox", "Interval", "Outbox"], Errors(options));
    }

    /// <summary>The hex of the UUID's bytes in RFC 9562 order: ordinal order of these strings is PostgreSQL's uuid order.</summary>
    private static string Ordered(Guid id) => id.ToString("N");

    private static List<string> Errors(object options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return [.. results.SelectMany(result => result.MemberNames).Order(StringComparer.Ordinal)];
    }
}
