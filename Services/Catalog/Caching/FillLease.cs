using System.Buffers;
using StackExchange.Redis;

namespace Boxoffice.Catalog.Caching;

/// <summary>
/// Single flight across replicas. HybridCache already runs one loader per key in a replica; this
/// makes the replicas agree too: the first to miss takes a short lease in Redis and loads, the
/// others wait (briefly) for the document it hands over instead of querying the database
/// themselves. The hand-over is keyed by the lease, so a lease dropped by an invalidation is
/// never answered with a document loaded before it. Without Redis every replica just loads.
/// </summary>
internal sealed class FillLease(IConnectionMultiplexer redis, TimeProvider time)
{
    private static readonly TimeSpan LeaseTime = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(10);
    private readonly CachedDocumentSerializer _serializer = new();

    public async ValueTask<CachedDocument> LoadOnceAsync(string key, Func<CancellationToken, ValueTask<CachedDocument>> load, CancellationToken cancellationToken)
    {
        if (!redis.IsConnected)
        {
            return await load(cancellationToken);
        }

        var db = redis.GetDatabase();
        var lease = LeaseKey(key);
        var token = Guid.NewGuid().ToString("N");
        try
        {
            if (await db.StringSetAsync(lease, token, LeaseTime, When.NotExists))
            {
                var document = await load(cancellationToken);
                var buffer = new ArrayBufferWriter<byte>();
                _serializer.Serialize(document, buffer);
                // The lease is kept until it expires: the other replicas may look for the document
                // until HybridCache has written it to Redis, just after this returns. A change
                // drops the lease (ForgetAsync), so no one takes this hand-over after it.
                await db.StringSetAsync(HandOverKey(key, token), buffer.WrittenMemory, LeaseTime);
                return document;
            }

            var holder = (string?)await db.StringGetAsync(lease);
            var started = time.GetTimestamp();
            while (holder is not null && time.GetElapsedTime(started) < MaxWait)
            {
                var handedOver = await db.StringGetAsync(HandOverKey(key, holder));
                if (handedOver.HasValue)
                {
                    return _serializer.Deserialize(new ReadOnlySequence<byte>((ReadOnlyMemory<byte>)handedOver));
                }

                await Task.Delay(Poll, time, cancellationToken);
            }
        }
        catch (Exception exception) when (exception.IsRedisUnavailable())
        {
            // Redis went away mid-way: load, as without it.
        }

        return await load(cancellationToken);
    }

    /// <summary>Drops the lease of a key, so the next miss loads afresh rather than waiting for a load that began before a change.</summary>
    public async Task ForgetAsync(IEnumerable<string> keys)
    {
        if (!redis.IsConnected)
        {
            return;
        }

        try
        {
            await redis.GetDatabase().KeyDeleteAsync([.. keys.Select(LeaseKey)]);
        }
        catch (Exception exception) when (exception.IsRedisUnavailable())
        {
        }
    }

    private static RedisKey LeaseKey(string key) => $"catalog:fill:{key}";

    private static RedisKey HandOverKey(string key, string token) => $"catalog:filled:{key}:{token}";
}
