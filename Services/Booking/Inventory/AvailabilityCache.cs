using System.Text.Json;
using Boxoffice.Postgres;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace Boxoffice.Booking.Inventory;

/// <summary>
/// The public counts: authoritative in PostgreSQL, served from Redis for a couple of seconds so a
/// crowd refreshing the page costs one count per event and interval, not one per request. The
/// cached copy is only ever replaced by a fresh count (never adjusted in Redis), so it is at most
/// that old; holds never read it. Without Redis every request counts.
/// </summary>
internal sealed partial class AvailabilityCache(
    NpgsqlDataSource db, IConnectionMultiplexer redis, IOptions<BookingOptions> options, TimeProvider time, ILogger<AvailabilityCache> logger)
{
    public async Task<EventAvailability?> GetAsync(Guid eventId, CancellationToken cancellationToken)
    {
        var key = $"booking:availability:{eventId:N}";
        var lifetime = options.Value.AvailabilityCacheTime;
        if (lifetime > TimeSpan.Zero && await ReadCachedAsync(key) is { } cached)
        {
            return cached;
        }

        var counted = await CountAsync(eventId, cancellationToken);
        if (counted is not null && lifetime > TimeSpan.Zero)
        {
            await CacheAsync(key, counted, lifetime);
        }

        return counted;
    }

    /// <summary>The authoritative count, from the units themselves.</summary>
    public Task<EventAvailability?> CountAsync(Guid eventId, CancellationToken cancellationToken)
    {
        var now = time.Now();
        return db.ReadAsync(connection => UnitStore.CountAvailabilityAsync(connection, eventId, options.Value.MaxUnitsPerBuyer, now, cancellationToken), cancellationToken);
    }

    private async Task<EventAvailability?> ReadCachedAsync(string key)
    {
        try
        {
            var cached = await redis.GetDatabase().StringGetAsync(key);
            return cached.HasValue ? JsonSerializer.Deserialize<EventAvailability>((byte[])cached!, JsonSerializerOptions.Web) : null;
        }
        catch (Exception exception) when (exception.IsRedisUnavailable())
        {
            LogRedisUnavailable(exception.GetType().Name);
            return null;
        }
    }

    private async Task CacheAsync(string key, EventAvailability counted, TimeSpan lifetime)
    {
        try
        {
            await redis.GetDatabase().StringSetAsync(key, JsonSerializer.SerializeToUtf8Bytes(counted, JsonSerializerOptions.Web), lifetime);
        }
        catch (Exception exception) when (exception.IsRedisUnavailable())
        {
            LogRedisUnavailable(exception.GetType().Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Redis is unavailable for availability counts ({Error}); counting in PostgreSQL")]
    private partial void LogRedisUnavailable(string error);
}
