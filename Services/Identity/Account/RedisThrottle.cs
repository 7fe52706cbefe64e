using StackExchange.Redis;

namespace Boxoffice.Identity.Account;

/// <summary>
/// What identity's throttles share: counters in Redis, each counted and given its window in one
/// atomic step, and read so that a Redis outage costs protection for a while, never a sign-in or a
/// registration (fail open, with a warning).
/// </summary>
internal abstract class RedisThrottle(IConnectionMultiplexer redis, ILogger logger)
{
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
            return await action(redis.GetDatabase());
        }
        catch (Exception exception) when (exception.IsRedisUnavailable())
        {
            logger.LogWarning(exception, "{Throttle} store unavailable; not counting this attempt", GetType().Name);
            return whenUnavailable;
        }
    }
}
