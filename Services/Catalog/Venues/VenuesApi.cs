using System.Security.Claims;
using Boxoffice.Postgres;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Boxoffice.Catalog.Venues;

/// <summary>An organizer's venues and seat maps. Organizers never see or use each other's.</summary>
internal static class VenuesApi
{
    public static IEndpointRouteBuilder MapVenuesApi(this IEndpointRouteBuilder routes)
    {
        var venues = routes.MapGroup("/organizer/venues")
            .WithTags("Organizer")
            .RequireAuthorization(BoxofficeAuth.Policies.Organizer);
        venues.MapGet("/", ListVenues).WithName("ListOwnVenues");
        venues.MapGet("/{id:guid}", GetVenue).WithName("GetOwnVenue");
        venues.MapPost("/", CreateVenue).WithName("CreateVenue");
        return routes;
    }

    /// <summary>The organizer's venues, oldest first, a page at a time (<see cref="PageRequest"/>): the next page's address in the Link header.</summary>
    private static Task<Results<Ok<IReadOnlyList<VenueSummary>>, ValidationProblem>> ListVenues(
        HttpRequest http, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        PageRequest.AnswerAsync(
            http,
            page => db.ReadAsync(connection => VenueStore.ListAsync(connection, user.OrganizerId(), page.Limit, page.After, cancellationToken), cancellationToken),
            venue => venue.Id);

    private static async Task<Results<Ok<VenueDetail>, NotFound>> GetVenue(Guid id, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await VenueStore.FindAsync(connection, id, user.OrganizerId(), cancellationToken) is { } venue
            ? TypedResults.Ok(venue)
            : TypedResults.NotFound();
    }

    private static async Task<Results<Created<VenueDetail>, ValidationProblem, ProblemHttpResult>> CreateVenue(
        CreateVenueRequest request, HttpRequest http, ClaimsPrincipal user, NpgsqlDataSource db,
        Microsoft.Extensions.Options.IOptions<OrganizerQuotaOptions> quota, CancellationToken cancellationToken)
    {
        if (VenueRules.Check(request) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var wait = await db.ReadAsync(connection => OrganizerQuotas.WaitAsync(connection, OrganizerQuotas.Kind.Venues, user.OrganizerId(), quota.Value, cancellationToken), cancellationToken);
        if (wait is { } retryAfter)
        {
            return OrganizerQuotas.Refuse(http.HttpContext.Response, "venues", quota.Value.VenuesPerWindow, quota.Value.Window, retryAfter);
        }

        var venue = await VenueStore.CreateAsync(db, user.OrganizerId(), request, cancellationToken);
        return TypedResults.Created(http.CreatedLocation(venue.Id), venue);
    }
}
