using StackExchange.Redis;

namespace Boxoffice.Identity.Account;

/// <summary>
/// What identity's throttles share: counters in Redis, each counted and given its window in one
/// atomic step, and read so that a Redis outage costs protection for a while, never a sign-in or a
/// registration (fail open, with a warning when the outage begins and every half minute while it
/// lasts: <see cref="OutageLog"/>).
/// </summary>
internal abstract class RedisThrottle(IConnectionMultiplexer redis, TimeProvider time, ILogger logger)
{
    private readonly OutageLog _outage = new(time, TimeSpan.FromSeconds(30));

    // A counter that has no expiry gets the window, in the same step as the count: a counter can
    // never be left without one (a separate EXPIRE that failed would refuse an address for good).
    private static readonly LuaScript Count = LuaScript.Prepare(
        """
        local count = redis.call('INCR', @key)
        if redis.call('TTL', @key) < 0 then
          redis.call('EXPIRE', @key, @seconds)
        end
        return count
        """);

    /// <summary>Adds one to <paramref name="key"/>, whose window starts at its first count; the count so far.</summary>
    protected static async Task<long> CountAsync(IDatabase db, RedisKey key, TimeSpan window) =>
        (long)await db.ScriptEvaluateAsync(Count, new { key, seconds = Math.Max(1, (long)Math.Ceiling(window.TotalSeconds)) });

    /// <summary>Runs <paramref name="action"/> on Redis, or answers <paramref name="whenUnavailable"/> when Redis does not answer.</summary>
    protected async Task<T> FailOpen<T>(Func<IDatabase, Task<T>> action, T whenUnavailable)
    {
        try
        {
            var result = await action(redis.GetDatabase());
            if (_outage.Succeeded())
            {
                logger.LogInformation("{Throttle} store available again; counting attempts", GetType().Name);
            }

            return result;
        }
        catch (Exception exception) when (exception.IsRedisUnavailable())
        {
            if (_outage.Failed())
            {
                logger.LogWarning(exception, "{Throttle} store unavailable; not counting attempts", GetType().Name);
            }

            return whenUnavailable;
        }
    }
}
