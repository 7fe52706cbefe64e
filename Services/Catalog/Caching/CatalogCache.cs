using System.ComponentModel.DataAnnotations;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Options;

namespace Boxoffice.Catalog.Caching;

/// <summary>
/// The read path's cache: HybridCache with an in-memory level per replica and Redis shared by
/// all. HybridCache runs one loader per key at a time in a replica, so a burst of misses for a
/// cold event costs one database query there, and <see cref="FillLease"/> makes that one query
/// across replicas. Every change to an event removes its entries and
/// the list pages, here and (through the catalog's own Kafka events) on every other replica.
/// </summary>
internal sealed class CatalogCache(HybridCache cache, FillLease lease, IOptions<CatalogCacheOptions> options)
{
    public const string ListTag = "event-lists";

    private static readonly Meter Meter = new("Boxoffice.Catalog");

    private static readonly Counter<long> Lookups = Meter.CreateCounter<long>(
        "boxoffice.catalog.cache.lookups", "{lookup}",
        "Cached reads by kind (event: an event or seat map; list: a page of the bill) and result: hit (memory or Redis) or miss (this call loaded it).");

    private readonly CatalogCacheOptions _options = options.Value;
    private readonly HybridCacheEntryOptions _entry = new()
    {
        Expiration = options.Value.Expiration,
        LocalCacheExpiration = options.Value.LocalExpiration,
    };
    private readonly HybridCacheEntryOptions _list = new()
    {
        Expiration = options.Value.ListExpiration,
        LocalCacheExpiration = options.Value.ListExpiration,
    };

    public static string EventKey(Guid id) => $"event:{id:N}";

    public static string SeatMapKey(Guid id) => $"seatmap:{id:N}";

    public static string EventTag(Guid id) => $"event:{id:N}";

    public async ValueTask<CachedDocument> GetEventAsync(string key, Guid eventId, Func<CancellationToken, ValueTask<CachedDocument>> load, CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            return await load(cancellationToken);
        }

        var lookup = new Lookup(lease, key, load);
        var document = await cache.GetOrCreateAsync(key, lookup, static (lookup, token) =>
        {
            lookup.Missed = true;
            return lookup.Lease.LoadOnceAsync(lookup.Key, lookup.Load, token);
        }, _entry, [EventTag(eventId)], cancellationToken);
        Count(lookup, "event");
        return document;
    }

    /// <summary>
    /// A list page: one load per key in each replica, without the cross-replica lease. Pages are
    /// many, short-lived and dropped by tag, so a lease (which a change must drop by its key)
    /// could hand over a page from before the change.
    /// </summary>
    public async ValueTask<CachedDocument> GetListAsync(string key, Func<CancellationToken, ValueTask<CachedDocument>> load, CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            return await load(cancellationToken);
        }

        var lookup = new Lookup(lease, key, load);
        var document = await cache.GetOrCreateAsync(key, lookup, static (lookup, token) =>
        {
            lookup.Missed = true;
            return lookup.Load(token);
        }, _list, [ListTag], cancellationToken);
        Count(lookup, "list");
        return document;
    }

    /// <summary>Forgets everything cached about one event, and every list page (it may be on any of them).</summary>
    public async Task InvalidateEventAsync(Guid eventId, CancellationToken cancellationToken)
    {
        await lease.ForgetAsync([EventKey(eventId), SeatMapKey(eventId)]);
        await cache.RemoveAsync([EventKey(eventId), SeatMapKey(eventId)], cancellationToken);
        await cache.RemoveByTagAsync([EventTag(eventId), ListTag], cancellationToken);
    }

    /// <summary>A miss is a lookup whose loader ran; callers that waited for another's load in this replica count as hits.</summary>
    private static void Count(Lookup lookup, string kind) =>
        Lookups.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("result", lookup.Missed ? "miss" : "hit"));

    private sealed class Lookup(FillLease lease, string key, Func<CancellationToken, ValueTask<CachedDocument>> load)
    {
        public FillLease Lease { get; } = lease;

        public string Key { get; } = key;

        public Func<CancellationToken, ValueTask<CachedDocument>> Load { get; } = load;

        public bool Missed { get; set; }
    }
}

internal sealed class CatalogCacheOptions
{
    /// <summary>Off: every read goes to the database (the benchmark's baseline).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long Redis keeps an event or seat map.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Expiration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a replica keeps one in memory: the bound on staleness should an invalidation be missed.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan LocalExpiration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>List pages (any filter) live briefly: they are many and change with every event.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ListExpiration { get; set; } = TimeSpan.FromSeconds(10);
}
