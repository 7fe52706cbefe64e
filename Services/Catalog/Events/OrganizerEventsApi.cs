using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Boxoffice.Catalog.Events;

/// <summary>An organizer's own events, whatever their state. Organizers never see each other's.</summary>
internal static class OrganizerEventsApi
{
    public static IEndpointRouteBuilder MapOrganizerEventsApi(this IEndpointRouteBuilder routes)
    {
        var organizer = routes.MapGroup("/organizer/events")
            .WithTags("Organizer")
            .RequireAuthorization(BoxofficeAuth.Policies.Organizer);
        organizer.MapGet("/", ListOwnEvents).WithName("ListOwnEvents");
        return routes;
    }

    private static async Task<Ok<IReadOnlyList<EventSummary>>> ListOwnEvents(ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "SELECT id, name, city, starts_at, status FROM events WHERE organizer_id = $1 ORDER BY starts_at, id LIMIT 500");
        command.Parameters.AddWithValue(user.FindFirstValue("sub")!);
        var items = new List<EventSummary>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(EventSummary.Read(reader));
        }

        return TypedResults.Ok<IReadOnlyList<EventSummary>>(items);
    }
}
