using Microsoft.Extensions.Caching.Distributed;
using StackExchange.Redis;

namespace Boxoffice.Catalog.Caching;

/// <summary>
/// The second cache level on the Redis connection the service already has. While Redis is away
/// it answers "not cached" at once instead of waiting out a timeout per request: losing Redis
/// costs the catalog a database query, never a slow or failed answer.
/// </summary>
internal sealed partial class RedisDistributedCache(IConnectionMultiplexer redis, TimeProvider time, ILogger<RedisDistributedCache> logger) : IDistributedCache
{
    private const string Prefix = "catalog:";
    private readonly OutageLog _outage = new(time, TimeSpan.FromSeconds(30));

    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        if (!redis.IsConnected)
        {
            Warn(null);
            return null;
        }

        try
        {
            var cached = await redis.GetDatabase().StringGetAsync(Prefix + key);
            Back();
            return cached;
        }
        catch (Exception exception) when (exception.IsRedisUnavailable())
        {
            Warn(exception);
            return null;
        }
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        if (!redis.IsConnected)
        {
            Warn(null);
            return;
        }

        var expiry = options.AbsoluteExpirationRelativeToNow
            ?? (options.AbsoluteExpiration is { } at ? at - time.GetUtcNow() : (TimeSpan?)null)
            ?? options.SlidingExpiration;
        try
        {
            await redis.GetDatabase().StringSetAsync(Prefix + key, value, expiry is { } ttl && ttl > TimeSpan.Zero ? new Expiration(ttl) : Expiration.Default);
            Back();
        }
        catch (Exception exception) when (exception.IsRedisUnavailable())
        {
            Warn(exception);
        }
    }

    public void Refresh(string key)
    {
    }

    public Task RefreshAsync(string key, CancellationToken token = default) => Task.CompletedTask;

    public void Remove(string key) => RemoveAsync(key).GetAwaiter().GetResult();

    public async Task RemoveAsync(string key, CancellationToken token = default)
    {
        if (!redis.IsConnected)
        {
            Warn(null);
            return;
        }

        try
        {
            await redis.GetDatabase().KeyDeleteAsync(Prefix + key);
            Back();
        }
        catch (Exception exception) when (exception.IsRedisUnavailable())
        {
            // The entry expires on its own; every replica also drops its in-memory copy on the event.
            Warn(exception);
        }
    }

    private void Warn(Exception? exception)
    {
        if (_outage.Failed())
        {
            LogRedisUnavailable(exception);
        }
    }

    private void Back()
    {
        if (_outage.Succeeded())
        {
            LogRedisBack();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The Redis cache level is unavailable; reading from the database")]
    private partial void LogRedisUnavailable(Exception? exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "The Redis cache level is available again")]
    private partial void LogRedisBack();
}
