using System.Threading.RateLimiting;
using StackExchange.Redis;

namespace Boxoffice.Gateway.RateLimiting;

/// <summary>Capacity and refill of one token bucket.</summary>
internal sealed class TokenBucketSettings
{
    /// <summary>Requests that may burst at once.</summary>
    public int TokenLimit { get; set; } = 100;

    /// <summary>Tokens added back per second.</summary>
    public double TokensPerSecond { get; set; } = 50;
}

/// <summary>
/// A token bucket kept in Redis, so every gateway replica draws from the same bucket for a caller.
/// One Lua script reads, refills and takes a token atomically, on Redis's own clock. When Redis
/// does not answer, the request is let through: losing Redis costs protection, never availability.
/// </summary>
internal sealed class RedisTokenBucket(IConnectionMultiplexer redis, ILogger<RedisTokenBucket> logger)
{
    // KEYS[1] bucket; ARGV[1] capacity, ARGV[2] tokens per second. Returns {allowed, retry-after ms}.
    private const string Script = """
        local capacity = tonumber(ARGV[1])
        local rate = tonumber(ARGV[2])
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
        local tokens = tonumber(state[1])
        local at = tonumber(state[2])
        if tokens == nil or at == nil then
          tokens = capacity
          at = now
        end
        tokens = math.min(capacity, tokens + math.max(0, now - at) * rate / 1000)
        local allowed = 0
        local retry = 0
        if tokens >= 1 then
          tokens = tokens - 1
          allowed = 1
        else
          retry = math.ceil((1 - tokens) * 1000 / rate)
        end
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
        redis.call('PEXPIRE', KEYS[1], math.ceil(capacity * 1000 / rate) + 1000)
        return { allowed, retry }
        """;

    public async Task<(bool Allowed, TimeSpan RetryAfter)> TakeAsync(string bucket, TokenBucketSettings settings)
    {
        try
        {
            var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(
                Script, [(RedisKey)("gateway:ratelimit:" + bucket)], [settings.TokenLimit, settings.TokensPerSecond]))!;
            return ((long)result[0] == 1, TimeSpan.FromMilliseconds((long)result[1]));
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            logger.LogWarning(exception, "Rate limit store unavailable; letting the request through");
            return (true, TimeSpan.Zero);
        }
    }
}

/// <summary>A limiter for one partition (one caller under one policy) backed by <see cref="RedisTokenBucket"/>.</summary>
internal sealed class RedisTokenBucketLimiter(RedisTokenBucket store, string bucket, TokenBucketSettings settings, TimeProvider time) : RateLimiter
{
    private long _lastUsedTicks = time.GetTimestamp();

    public override TimeSpan? IdleDuration => time.GetElapsedTime(Interlocked.Read(ref _lastUsedTicks));

    public override RateLimiterStatistics? GetStatistics() => null;

    // The middleware tries this synchronous path first; the answer lives in Redis, so it always
    // defers to AcquireAsyncCore.
    protected override RateLimitLease AttemptAcquireCore(int permitCount) => Lease.Deferred;

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _lastUsedTicks, time.GetTimestamp());
        var (allowed, retryAfter) = await store.TakeAsync(bucket, settings);
        return allowed ? Lease.Acquired : new Lease(false, retryAfter);
    }

    private sealed class Lease(bool acquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public static readonly Lease Acquired = new(true, null);
        public static readonly Lease Deferred = new(false, null);

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = metadataName == MetadataName.RetryAfter.Name ? retryAfter : null;
            return metadata is not null;
        }
    }
}
