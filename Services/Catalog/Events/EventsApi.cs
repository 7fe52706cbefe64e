using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Boxoffice.Catalog.Events;

internal static class EventsApi
{
    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder routes)
    {
        var events = routes.MapGroup("/events").WithTags("Events");
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
        await using var command = db.CreateCommand(
            """
            SELECT id, name, city, starts_at, status, count(*) OVER () AS total
            FROM events
            WHERE status IN ('published', 'on-sale')
            ORDER BY starts_at, id
            LIMIT $1 OFFSET $2
            """);
        command.Parameters.AddWithValue(pageSize);
        command.Parameters.AddWithValue((page - 1) * pageSize);

        var items = new List<EventSummary>();
        long total = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new EventSummary(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4)));
            total = reader.GetInt64(5);
        }

        return TypedResults.Ok(new EventPage(items, page, pageSize, total));
    }
}

internal sealed record EventSummary(Guid Id, string Name, string City, DateTimeOffset StartsAt, string Status);

internal sealed record EventPage(IReadOnlyList<EventSummary> Items, int Page, int PageSize, long Total);
