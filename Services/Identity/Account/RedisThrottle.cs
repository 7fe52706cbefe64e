using StackExchange.Redis;

namespace Boxoffice.Identity.Account;

/// <summary>
/// What identity's throttles share: counters in Redis, read and written so that a Redis outage
/// costs protection for a while, never a sign-in or a registration (fail open, with a warning).
/// </summary>
internal abstract class RedisThrottle(IConnectionMultiplexer redis, ILogger logger)
{
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
