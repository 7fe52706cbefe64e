using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

public static class RedisFailures
{
    /// <summary>
    /// Redis is away, slow, or its connection broke under the call: every service uses Redis only
    /// to be faster (caches, counters, rate-limit buckets) and carries on without it. Besides its
    /// own exceptions and timeouts, StackExchange.Redis lets an <see cref="InvalidOperationException"/>
    /// from System.IO.Pipelines escape when the socket shuts down in the middle of a write (seen
    /// when Redis restarted under a flash crowd: the gateway answered 500).
    /// </summary>
    public static bool IsRedisUnavailable(this Exception exception) =>
        exception is RedisException or TimeoutException or InvalidOperationException { Source: "System.IO.Pipelines" };
}
