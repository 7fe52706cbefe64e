namespace Microsoft.Extensions.Hosting;

/// <summary>
/// When to log the outage of a dependency a service carries on without (Redis, for the caches,
/// counters and rate-limit buckets): a warning when an outage begins, that is the first failure
/// after a success, however soon after the last warning; then at most one per
/// <c>interval</c> while it lasts; and one line when it ends. So each outage is seen in the
/// logs, and a long one does not flood them. Lock-free, and a success costs one read.
/// </summary>
public sealed class OutageLog(TimeProvider time, TimeSpan interval)
{
    private long _lastWarning;
    private int _failing;

    /// <summary>A call failed: whether to log a warning for it.</summary>
    public bool Failed()
    {
        var now = time.GetTimestamp();
        if (Interlocked.Exchange(ref _failing, 1) == 0)
        {
            Interlocked.Exchange(ref _lastWarning, now);
            return true;
        }

        var last = Interlocked.Read(ref _lastWarning);
        return time.GetElapsedTime(last, now) >= interval && Interlocked.CompareExchange(ref _lastWarning, now, last) == last;
    }

    /// <summary>A call succeeded: whether it ends an outage (log that once).</summary>
    public bool Succeeded() => Volatile.Read(ref _failing) == 1 && Interlocked.Exchange(ref _failing, 0) == 1;
}
