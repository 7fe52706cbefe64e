using Microsoft.AspNetCore.Http.HttpResults;

namespace Boxoffice.Booking.Inventory;

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
