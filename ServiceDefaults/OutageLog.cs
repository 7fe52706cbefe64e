namespace Microsoft.Extensions.Hosting;

/// <summary>
/// When to log the outage of a dependency a service carries on without (Redis, for the caches,
/// counters and rate-limit buckets): a warning when an outage begins, that is the first failure
/// after a success, unless another was warned of within <see cref="LeastGap"/> (a flapping
/// connection); then at most one per <c>interval</c> while it lasts; and one line when an outage
/// that was warned of ends. So each outage is in the logs at or within a second of its start, and
/// neither a long one nor a flapping one floods them. Lock-free; a success costs one read.
/// </summary>
public sealed class OutageLog(TimeProvider time, TimeSpan interval)
{
    /// <summary>The least time between two warnings, however many outages begin.</summary>
    public static readonly TimeSpan LeastGap = TimeSpan.FromSeconds(1);

    private long _lastWarning;
    private int _failing;
    private int _warned;

    /// <summary>A call failed: whether to log a warning for it.</summary>
    public bool Failed()
    {
        var now = time.GetTimestamp();
        var began = Interlocked.Exchange(ref _failing, 1) == 0;
        var last = Interlocked.Read(ref _lastWarning);
        if ((last == 0 || time.GetElapsedTime(last, now) >= (began ? LeastGap : interval)) && Interlocked.CompareExchange(ref _lastWarning, now, last) == last)
        {
            Volatile.Write(ref _warned, 1);
            return true;
        }

        return false;
    }

    /// <summary>A call succeeded: whether it ends an outage that was warned of (log that once).</summary>
    public bool Succeeded() =>
        Volatile.Read(ref _failing) == 1 && Interlocked.Exchange(ref _failing, 0) == 1 && Interlocked.Exchange(ref _warned, 0) == 1;
}
