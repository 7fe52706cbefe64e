using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Boxoffice.Catalog.Caching;
using Boxoffice.Catalog.Venues;
using Boxoffice.Contracts.Catalog;
using Boxoffice.Postgres;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Boxoffice.Catalog.Events;

/// <summary>
/// What buyers see, without signing in: the events on the bill, one event with its venue and
/// tiers, and its seat map. Every answer comes from the cache with an ETag.
/// </summary>
internal static class EventsApi
{
    private static readonly string[] GetOrHead = ["GET", "HEAD"];

    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder routes)
    {
        var events = routes.MapGroup("/events").WithTags("Events").AllowAnonymous();
        events.MapMethods("/", GetOrHead, ListEvents).WithName("ListEvents")
            .Produces<EventPage>().Produces(StatusCodes.Status304NotModified).ProducesValidationProblem();
        // An id is all these two take: no validation filter on the hottest path. Not a {id:guid}
        // constraint: a malformed id must be a 404 here, not "no endpoint" (the anonymous caller
        // would meet the deny-by-default policy and get a 401).
        events.MapMethods("/{id}", GetOrHead, GetEvent).WithName("GetEvent").DisableValidation()
            .Produces<EventDetail>().Produces(StatusCodes.Status304NotModified).ProducesProblem(StatusCodes.Status404NotFound);
        events.MapMethods("/{id}/seatmap", GetOrHead, GetSeatMap).WithName("GetSeatMap").DisableValidation()
            .Produces<SeatMap>().Produces(StatusCodes.Status304NotModified).ProducesProblem(StatusCodes.Status404NotFound);
        return routes;
    }

    /// <summary>Published and on-sale events, soonest first, a page at a time; filters combine.</summary>
    private static async Task<IResult> ListEvents(
        HttpContext context,
        NpgsqlDataSource db,
        CatalogCache cache,
        [Microsoft.AspNetCore.Mvc.FromServices] IOptions<JsonOptions> json,
        CancellationToken cancellationToken,
        [Range(1, 10_000)] int page = 1,
        [Range(1, 100)] int pageSize = 20,
        [StringLength(100)] string? city = null,
        DateTimeOffset? from = null,
        DateTimeOffset? to = null,
        [StringLength(100)] string? q = null)
    {
        var filter = new ListFilter(page, pageSize, Blank(city), from?.ToUniversalTime(), to?.ToUniversalTime(), Blank(q));
        var document = await cache.GetListAsync(filter.CacheKey, token => LoadPageAsync(db, filter, json.Value.SerializerOptions, token), cancellationToken);
        return DocumentResults.Send(context, document);
    }

    private static async Task<IResult> GetEvent(string id, HttpContext context, NpgsqlDataSource db, CatalogCache cache, [Microsoft.AspNetCore.Mvc.FromServices] IOptions<JsonOptions> json, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var eventId))
        {
            return TypedResults.NotFound();
        }

        var document = await cache.GetEventAsync(CatalogCache.EventKey(eventId), eventId, async token =>
        {
            await using var connection = await db.OpenConnectionAsync(token);
            return CachedDocument.From(await EventStore.FindAsync(connection, null, eventId, null, token), json.Value.SerializerOptions);
        }, cancellationToken);
        return DocumentResults.Send(context, document);
    }

    private static async Task<IResult> GetSeatMap(string id, HttpContext context, NpgsqlDataSource db, CatalogCache cache, [Microsoft.AspNetCore.Mvc.FromServices] IOptions<JsonOptions> json, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var eventId))
        {
            return TypedResults.NotFound();
        }

        var document = await cache.GetEventAsync(CatalogCache.SeatMapKey(eventId), eventId, async token =>
            CachedDocument.From(await LoadSeatMapAsync(db, eventId, token), json.Value.SerializerOptions), cancellationToken);
        return DocumentResults.Send(context, document);
    }

    private static async ValueTask<SeatMap?> LoadSeatMapAsync(NpgsqlDataSource db, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        if (await EventStore.FindAsync(connection, null, id, null, cancellationToken) is not { } detail
            || await VenueStore.FindAsync(connection, detail.Venue.Id, null, cancellationToken) is not { } venue)
        {
            return null;
        }

        var tierOf = detail.TierBySection();
        return new SeatMap(id, venue.Id, venue.Capacity, [.. venue.Sections.Select(section =>
            new SeatMapSection(section.Name, section.Kind, section.Capacity, tierOf.TryGetValue(section.Name, out var tier) ? tier : null, section.Rows))]);
    }

    private static async ValueTask<CachedDocument> LoadPageAsync(NpgsqlDataSource db, ListFilter filter, JsonSerializerOptions options, CancellationToken cancellationToken)
    {
        const string Where =
            """
            FROM events e JOIN venues v ON v.id = e.venue_id
            WHERE e.status IN ('published', 'on-sale')
              AND ($1::text IS NULL OR lower(v.city) = lower($1))
              AND ($2::timestamptz IS NULL OR e.starts_at >= $2)
              AND ($3::timestamptz IS NULL OR e.starts_at < $3)
              AND ($4::text IS NULL OR e.name ILIKE $4 ESCAPE '\' OR v.name ILIKE $4 ESCAPE '\')
            """;

        // The page and the total in one round trip; the total stays right past the last page.
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var batch = connection.Batch(
            Sql.Statement($"SELECT e.id, e.name, v.city, e.starts_at, e.status {Where} ORDER BY e.starts_at, e.id LIMIT $5 OFFSET $6",
                [.. FilterParameters(filter), filter.PageSize, (long)(filter.Page - 1) * filter.PageSize]),
            Sql.Statement($"SELECT count(*) {Where}", FilterParameters(filter)));

        var items = new List<EventSummary>();
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(EventStore.ReadSummary(reader));
        }

        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return CachedDocument.From(new EventPage(items, filter.Page, filter.PageSize, reader.GetInt64(0)), options);
    }

    /// <summary>$1 to $4 of both statements; new parameters each time (a parameter belongs to one statement).</summary>
    private static object?[] FilterParameters(ListFilter filter) =>
    [
        Sql.Typed(filter.City, NpgsqlDbType.Text),
        Sql.Typed(filter.From, NpgsqlDbType.TimestampTz),
        Sql.Typed(filter.To, NpgsqlDbType.TimestampTz),
        Sql.Typed(filter.Text is null ? null : $"%{EscapeLike(filter.Text)}%", NpgsqlDbType.Text),
    ];

    /// <summary>The text is matched literally: % and _ in a search are not wildcards.</summary>
    private static string EscapeLike(string text) => text.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_");

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private sealed record ListFilter(int Page, int PageSize, string? City, DateTimeOffset? From, DateTimeOffset? To, string? Text)
    {
        // Free text is escaped, so no two filters share a key.
        public string CacheKey =>
            $"events:{Page}:{PageSize}:{Uri.EscapeDataString(City?.ToLowerInvariant() ?? "")}:{From?.UtcTicks}:{To?.UtcTicks}:{Uri.EscapeDataString(Text ?? "")}";
    }
}
