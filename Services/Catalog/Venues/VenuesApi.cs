using System.Security.Claims;
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

    private static async Task<Ok<IReadOnlyList<VenueSummary>>> ListVenues(ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        TypedResults.Ok(await VenueStore.ListAsync(db, user.OrganizerId(), cancellationToken));

    private static async Task<Results<Ok<VenueDetail>, NotFound>> GetVenue(Guid id, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await VenueStore.FindAsync(connection, id, user.OrganizerId(), cancellationToken) is { } venue
            ? TypedResults.Ok(venue)
            : TypedResults.NotFound();
    }

    private static async Task<Results<Created<VenueDetail>, ValidationProblem>> CreateVenue(
        CreateVenueRequest request, HttpRequest http, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        if (VenueRules.Check(request) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var venue = await VenueStore.CreateAsync(db, user.OrganizerId(), request, cancellationToken);
        return TypedResults.Created(http.CreatedLocation(venue.Id), venue);
    }
}
