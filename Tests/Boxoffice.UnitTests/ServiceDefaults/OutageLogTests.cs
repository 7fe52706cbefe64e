using Microsoft.Extensions.Hosting;

namespace Boxoffice.UnitTests.ServiceDefaults;

/// <summary>
/// Each outage of a dependency a service carries on without is in the logs, however soon after the
/// last one, and a long one logs once per interval, not once per call.
/// </summary>
public sealed class OutageLogTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    [Fact]
    public void An_outage_warns_when_it_begins_then_once_per_interval_and_says_when_it_ends()
    {
        var clock = new ManualClock();
        var log = new OutageLog(clock, Interval);

        Assert.False(log.Succeeded());
        Assert.True(log.Failed());
        Assert.False(log.Failed());
        clock.Advance(Interval - TimeSpan.FromMilliseconds(1));
        Assert.False(log.Failed());
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(log.Failed());
        Assert.False(log.Failed());

        Assert.True(log.Succeeded());
        Assert.False(log.Succeeded());
    }

    [Fact]
    public void An_outage_soon_after_the_last_one_is_warned_of_at_once()
    {
        var clock = new ManualClock();
        var log = new OutageLog(clock, Interval);
        Assert.True(log.Failed());
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(log.Succeeded());

        // A second outage a second later, well within the interval: a batch let through unlimited
        // would otherwise not be in the logs at all.
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(log.Failed());
        Assert.False(log.Failed());
    }

    [Fact]
    public void A_connection_flapping_within_a_second_warns_once_a_second_and_ends_only_outages_it_warned_of()
    {
        var clock = new ManualClock();
        var log = new OutageLog(clock, Interval);
        Assert.True(log.Failed());
        clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.True(log.Succeeded());

        // Failing again 200 ms after the warning: not warned, and its end not logged.
        clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.False(log.Failed());
        Assert.False(log.Succeeded());

        // A second after the warning: the next outage is warned of again.
        clock.Advance(OutageLog.LeastGap);
        Assert.True(log.Failed());
        Assert.True(log.Succeeded());
    }

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = 1_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
