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
/// One Lua script reads, refills and takes tokens atomically, on Redis's own clock. When Redis does
/// not answer, the request is let through: losing Redis costs protection, never availability.
/// </summary>
internal sealed partial class RedisTokenBucket(IConnectionMultiplexer redis, TimeProvider time, ILogger<RedisTokenBucket> logger)
{
    private readonly OutageLog _outage = new(time, TimeSpan.FromSeconds(10));

    // KEYS[1] bucket; ARGV[1] capacity, ARGV[2] tokens per second, ARGV[3] tokens wanted.
    // Takes as many of the wanted tokens as the bucket holds (whole tokens only).
    // Returns {tokens granted, retry-after ms when none}.
    private const string Script = """
        local capacity = tonumber(ARGV[1])
        local rate = tonumber(ARGV[2])
        local wanted = tonumber(ARGV[3])
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
        local granted = math.min(wanted, math.floor(tokens))
        local retry = 0
        if granted >= 1 then
          tokens = tokens - granted
        else
          granted = 0
          retry = math.ceil((1 - tokens) * 1000 / rate)
        end
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
        redis.call('PEXPIRE', KEYS[1], math.ceil(capacity * 1000 / rate) + 1000)
        return { granted, retry }
        """;

    public async Task<(int Granted, TimeSpan RetryAfter)> TakeAsync(string bucket, TokenBucketSettings settings, int wanted)
    {
        try
        {
            var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(
                Script, [(RedisKey)("gateway:ratelimit:" + bucket)], [settings.TokenLimit, settings.TokensPerSecond, wanted]))!;
            if (_outage.Succeeded())
            {
                LogStoreBack();
            }

            return ((int)result[0], TimeSpan.FromMilliseconds((long)result[1]));
        }
        catch (Exception exception) when (exception.IsRedisUnavailable())
        {
            // A warning when the outage begins and one per interval while it lasts, not one per
            // request: every batch let through unlimited is in an outage the logs show.
            if (_outage.Failed())
            {
                LogStoreUnavailable(exception);
            }

            // Fail open for the whole batch: the requests waiting behind this one pass without
            // each paying for its own timeout.
            return (wanted, TimeSpan.Zero);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rate limit store unavailable; letting requests through")]
    private partial void LogStoreUnavailable(Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rate limit store available again; limits enforced")]
    private partial void LogStoreBack();
}

/// <summary>
/// The limiter of one partition (one caller under one policy) in one gateway replica. A busy
/// caller's tokens are taken from the shared Redis bucket a few at a time (about 50 ms of its
/// recent rate, at most a quarter of the bucket) and spent locally, so Redis sees one call per
/// batch instead of one per request. Tokens taken and not spent within <see cref="LocalLease"/>
/// are dropped, never returned: the limit across replicas is never exceeded, only, rarely,
/// undershot.
/// </summary>
internal sealed class RedisTokenBucketLimiter(RedisTokenBucket store, string bucket, TokenBucketSettings settings, TimeProvider time) : RateLimiter
{
    private static readonly TimeSpan LocalLease = TimeSpan.FromMilliseconds(250);
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _refill = new(1, 1);
    private int _waiting;
    private long _emptyUntil; // written and read only while holding _refill
    private long _lastUsedTicks = time.GetTimestamp();
    private int _local;
    private long _localUntil;
    private long _windowStart = time.GetTimestamp();
    private int _windowCount;
    private int _previousWindowCount;

    public override TimeSpan? IdleDuration => time.GetElapsedTime(Interlocked.Read(ref _lastUsedTicks));

    public override RateLimiterStatistics? GetStatistics() => null;

    // The middleware tries this synchronous path first: it succeeds from the local batch, and
    // otherwise defers to AcquireAsyncCore, which asks Redis.
    protected override RateLimitLease AttemptAcquireCore(int permitCount) => TakeLocal() ? Lease.Acquired : Lease.Deferred;

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        if (TakeLocal())
        {
            return Lease.Acquired;
        }

        // One refill at a time per caller: a burst of requests that all find the local batch
        // empty waits for one Redis call sized for all of them, instead of each taking a batch
        // of its own (which drained the shared bucket and turned a burst into 429s).
        Interlocked.Increment(ref _waiting);
        try
        {
            await _refill.WaitAsync(cancellationToken);
        }
        catch
        {
            Interlocked.Decrement(ref _waiting);
            throw;
        }

        try
        {
            Interlocked.Decrement(ref _waiting);
            if (TakeLocal())
            {
                return Lease.Acquired;
            }

            // The bucket was empty a moment ago: refuse without asking Redis again until it refills,
            // so a flood is shed cheaply instead of queueing one Redis call per request.
            var now = time.GetTimestamp();
            if (now < _emptyUntil)
            {
                return new Lease(false, time.GetElapsedTime(now, _emptyUntil));
            }

            var (granted, retryAfter) = await store.TakeAsync(bucket, settings, Wanted());
            if (granted == 0)
            {
                _emptyUntil = time.GetTimestamp() + (long)(retryAfter.TotalSeconds * time.TimestampFrequency);
                return new Lease(false, retryAfter);
            }

            lock (_gate)
            {
                _local = granted - 1;
                _localUntil = time.GetTimestamp() + (long)(LocalLease.TotalSeconds * time.TimestampFrequency);
            }

            return Lease.Acquired;
        }
        finally
        {
            _refill.Release();
        }
    }

    private bool TakeLocal()
    {
        var now = time.GetTimestamp();
        Interlocked.Exchange(ref _lastUsedTicks, now);
        lock (_gate)
        {
            if (time.GetElapsedTime(_windowStart, now) >= TimeSpan.FromSeconds(1))
            {
                _previousWindowCount = _windowCount;
                _windowCount = 0;
                _windowStart = now;
            }

            _windowCount++;
            if (_local > 0 && now < _localUntil)
            {
                _local--;
                return true;
            }

            _local = 0;
            return false;
        }
    }

    /// <summary>
    /// About 50 ms of this caller's recent rate here, or this request and every one waiting
    /// behind it if more; between 1 and a quarter of the bucket.
    /// </summary>
    private int Wanted()
    {
        int previous;
        lock (_gate)
        {
            previous = _previousWindowCount;
        }

        return BatchSize(previous, Volatile.Read(ref _waiting), settings.TokenLimit);
    }

    /// <summary>
    /// How many tokens to take from the shared bucket at once: about 50 ms of the caller's rate in
    /// the last second (<paramref name="requestsLastSecond"/> / 20), or this request and the
    /// <paramref name="waiting"/> ones behind it if more; at least 1, at most a quarter of the
    /// bucket, so one replica's batch never holds much of a caller's allowance.
    /// </summary>
    internal static int BatchSize(int requestsLastSecond, int waiting, int tokenLimit) =>
        Math.Clamp(Math.Max(requestsLastSecond / 20, 1 + waiting), 1, Math.Max(1, tokenLimit / 4));

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
