using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Boxoffice.Catalog.Caching;
using Boxoffice.Catalog.Venues;
using Boxoffice.Contracts.Catalog;
using Boxoffice.Postgres;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Boxoffice.Catalog.Events;

/// <summary>
/// What buyers see, without signing in: the events on the bill, one event with its venue and
/// tiers, and its seat map. Every answer comes from the cache with an ETag.
/// </summary>
internal static class EventsApi
{
    private const string HoldsNul = "Holds a NUL character (%00), which no text may hold.";

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
        [Range(1, ListFilter.MaxDepth)] int page = 1,
        [Range(1, 100)] int pageSize = 20,
        [StringLength(100)] string? city = null,
        DateTimeOffset? from = null,
        DateTimeOffset? to = null,
        [StringLength(100)] string? q = null)
    {
        if ((long)page * pageSize > ListFilter.MaxDepth)
        {
            // OFFSET reads and drops every row before the page: a page a million rows deep costs
            // a million rows. Past the first thousand, a buyer narrows the search instead.
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["page"] = [$"page × pageSize may be at most {ListFilter.MaxDepth}: the list goes {ListFilter.MaxDepth} events deep; narrow it with city, from, to or q."],
            });
        }

        // PostgreSQL cannot store NUL and refuses it as the statement binds: answered here, not by a refusal.
        var withNul = new Dictionary<string, string[]>();
        if (city?.Contains('\0') == true)
        {
            withNul["city"] = [HoldsNul];
        }

        if (q?.Contains('\0') == true)
        {
            withNul["q"] = [HoldsNul];
        }

        if (withNul.Count > 0)
        {
            return TypedResults.ValidationProblem(withNul);
        }

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
            CachedDocument.From(await db.ReadAsync(connection => EventStore.FindAsync(connection, null, eventId, null, token), token), json.Value.SerializerOptions),
            cancellationToken);
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

    private static async ValueTask<SeatMap?> LoadSeatMapAsync(NpgsqlDataSource db, Guid id, CancellationToken cancellationToken) =>
        await db.ReadAsync<SeatMap?>(async connection =>
        {
            if (await EventStore.FindAsync(connection, null, id, null, cancellationToken) is not { } detail
                || await VenueStore.FindAsync(connection, detail.Venue.Id, null, cancellationToken) is not { } venue)
            {
                return null;
            }

            var tierOf = detail.TierBySection();
            return new SeatMap(id, venue.Id, venue.Capacity, [.. venue.Sections.Select(section =>
                new SeatMapSection(section.Name, section.Kind, section.Capacity, tierOf.TryGetValue(section.Name, out var tier) ? tier : null, section.Rows))]);
        }, cancellationToken);

    /// <summary>Through the runner's read: the search text is the buyer's, and PostgreSQL may refuse it (NUL) as it binds.</summary>
    private static async ValueTask<CachedDocument> LoadPageAsync(NpgsqlDataSource db, ListFilter filter, JsonSerializerOptions options, CancellationToken cancellationToken) =>
        CachedDocument.From(await db.ReadAsync(connection => EventStore.ListPublishedAsync(connection, filter, cancellationToken), cancellationToken), options);

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
