using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace Boxoffice.Booking.Inventory;

public sealed record TierAvailability(Guid TierId, string Name, decimal Price, int Capacity, int Available);

public sealed record EventAvailability(Guid EventId, string Status, string Currency, DateTimeOffset SaleOpensAt, DateTimeOffset SaleClosesAt, DateTimeOffset CountedAt, IReadOnlyList<TierAvailability> Tiers);

/// <summary>How many units of each tier are free: for pages and crowds, never for selling.</summary>
internal static class AvailabilityApi
{
    public static IEndpointRouteBuilder MapAvailabilityApi(this IEndpointRouteBuilder routes)
    {
        // A string id: a malformed one is a 404 here, not an anonymous request falling through to the deny-by-default policy (401).
        routes.MapMethods("/events/{id}/availability", [HttpMethods.Get, HttpMethods.Head], GetAvailability)
            .WithTags("Availability")
            .WithName("GetAvailability")
            .AllowAnonymous();
        return routes;
    }

    private static async Task<Results<Ok<EventAvailability>, ProblemHttpResult>> GetAvailability(
        string id, HttpResponse response, AvailabilityCache cache, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var eventId) || await cache.GetAsync(eventId, cancellationToken) is not { } availability)
        {
            return Problems.NotFound("event");
        }

        response.Headers.CacheControl = "public, max-age=1";
        return TypedResults.Ok(availability);
    }
}

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
        if (lifetime > TimeSpan.Zero)
        {
            try
            {
                var cached = await redis.GetDatabase().StringGetAsync(key);
                if (cached.HasValue)
                {
                    return System.Text.Json.JsonSerializer.Deserialize<EventAvailability>((byte[])cached!, System.Text.Json.JsonSerializerOptions.Web);
                }
            }
            catch (Exception exception) when (exception.IsRedisUnavailable())
            {
                LogRedisUnavailable(exception.GetType().Name);
            }
        }

        var counted = await CountAsync(eventId, cancellationToken);
        if (counted is not null && lifetime > TimeSpan.Zero)
        {
            try
            {
                await redis.GetDatabase().StringSetAsync(key, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(counted, System.Text.Json.JsonSerializerOptions.Web), lifetime);
            }
            catch (Exception exception) when (exception.IsRedisUnavailable())
            {
                LogRedisUnavailable(exception.GetType().Name);
            }
        }

        return counted;
    }

    /// <summary>The authoritative count, from the units themselves.</summary>
    public Task<EventAvailability?> CountAsync(Guid eventId, CancellationToken cancellationToken)
    {
        var now = time.Now();
        return Transactions.ReadAsync(db, connection => CountAsync(connection, eventId, now, cancellationToken), cancellationToken);
    }

    private static async Task<EventAvailability?> CountAsync(NpgsqlConnection connection, Guid eventId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT e.status, e.currency, e.sale_opens_at, e.sale_closes_at, t.tier_id, t.name, t.price, t.capacity,
                   (SELECT count(*) FROM units u
                     WHERE u.event_id = e.event_id AND u.tier_id = t.tier_id AND u.order_id IS NULL
                       AND (u.held_until IS NULL OR u.held_until < $2))::int
            FROM events e JOIN tiers t ON t.event_id = e.event_id
            WHERE e.event_id = $1
            ORDER BY t.price DESC, t.name
            """, connection)
        {
            Parameters = { new() { Value = eventId }, new() { Value = now } },
        };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        EventAvailability? result = null;
        var tiers = new List<TierAvailability>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result ??= new EventAvailability(eventId, reader.GetString(0), reader.GetString(1),
                reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3), now, tiers);
            tiers.Add(new TierAvailability(reader.GetGuid(4), reader.GetString(5), reader.GetDecimal(6), reader.GetInt32(7), reader.GetInt32(8)));
        }

        return result;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Redis is unavailable for availability counts ({Error}); counting in PostgreSQL")]
    private partial void LogRedisUnavailable(string error);
}
