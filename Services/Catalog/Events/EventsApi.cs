using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Boxoffice.Catalog.Events;

internal static class EventsApi
{
    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder routes)
    {
        var events = routes.MapGroup("/events").WithTags("Events").AllowAnonymous();
        events.MapGet("/", ListEvents).WithName("ListEvents");
        return routes;
    }

    /// <summary>Events that buyers can see (published or on sale), soonest first, a page at a time.</summary>
    private static async Task<Ok<EventPage>> ListEvents(
        NpgsqlDataSource db,
        CancellationToken cancellationToken,
        [Range(1, 10_000)] int page = 1,
        [Range(1, 100)] int pageSize = 20)
    {
        // The page and the total in one round trip; the total stays right past the last page.
        await using var batch = db.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            """
            SELECT id, name, city, starts_at, status
            FROM events
            WHERE status IN ('published', 'on-sale')
            ORDER BY starts_at, id
            LIMIT $1 OFFSET $2
            """)
        {
            Parameters = { new() { Value = pageSize }, new() { Value = (long)(page - 1) * pageSize } },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT count(*) FROM events WHERE status IN ('published', 'on-sale')"));

        var items = new List<EventSummary>();
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(EventSummary.Read(reader));
        }

        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var total = reader.GetInt64(0);

        return TypedResults.Ok(new EventPage(items, page, pageSize, total));
    }
}

internal sealed record EventSummary(Guid Id, string Name, string City, DateTimeOffset StartsAt, string Status)
{
    /// <summary>From a row whose first columns are id, name, city, starts_at, status.</summary>
    public static EventSummary Read(NpgsqlDataReader reader) =>
        new(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4));
}

internal sealed record EventPage(IReadOnlyList<EventSummary> Items, int Page, int PageSize, long Total);
