using System.Security.Claims;
using Boxoffice.Messaging.Outbox;
using Boxoffice.Postgres;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Boxoffice.Booking.Tickets;

/// <summary>Tickets: a buyer's own, the public key that verifies codes, and check-in at the door.</summary>
internal static class TicketsApi
{
    public static IEndpointRouteBuilder MapTicketsApi(this IEndpointRouteBuilder routes)
    {
        var tickets = routes.MapGroup("/tickets").WithTags("Tickets");
        tickets.MapMethods("/signing-key", [HttpMethods.Get, HttpMethods.Head], GetSigningKey).WithName("GetTicketSigningKey").AllowAnonymous();
        tickets.MapGet("/", ListTickets).WithName("ListTickets").RequireAuthorization(BoxofficeAuth.Policies.Buyer);
        tickets.MapPost("/check-in", CheckIn).WithName("CheckIn").RequireAuthorization(BoxofficeAuth.Policies.Staff);
        return routes;
    }

    private static async Task<Ok<SigningKeyView>> GetSigningKey(TicketSigner signer, HttpResponse response, CancellationToken cancellationToken)
    {
        var key = await signer.KeyAsync(cancellationToken);
        response.Headers.CacheControl = "public, max-age=3600";
        return TypedResults.Ok(new SigningKeyView(key.KeyId, "ES256", key.PublicKeyPem));
    }

    /// <summary>The buyer's tickets, oldest first, a page at a time (<see cref="PageRequest"/>): the next page's address in the Link header.</summary>
    private static Task<Results<Ok<IReadOnlyList<TicketView>>, ValidationProblem>> ListTickets(
        HttpRequest http, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        PageRequest.AnswerAsync(
            http,
            page => db.ReadAsync(connection => TicketStore.ReadOfBuyerAsync(connection, user.BuyerId(), page.Limit, page.After, cancellationToken), cancellationToken),
            ticket => ticket.TicketId);

    /// <summary>Admits a ticket once: the first scan checks it in, every later one answers 409 with the first scan's time.</summary>
    private static async Task<Results<Ok<CheckInView>, ProblemHttpResult>> CheckIn(
        CheckInRequest request, ClaimsPrincipal user, NpgsqlDataSource db, TicketSigner signer, OutboxWriter outbox, TimeProvider time, CancellationToken cancellationToken)
    {
        if (TicketSigner.Verify(await signer.KeyAsync(cancellationToken), request.Code!) is not { } claims)
        {
            BookingMetrics.CheckIns.Add(1, new KeyValuePair<string, object?>("outcome", "invalid"));
            return Problems.Of(ProblemTypes.InvalidTicketCode, "This is not a valid ticket.", "The code is malformed, altered, or not signed by Boxoffice.");
        }

        var staffId = user.FindFirstValue("sub") ?? "staff";
        var outcome = await db.RunAsync(
            transaction => TicketStore.CheckInAsync(transaction, outbox, claims.TicketId, staffId, time.Now(), cancellationToken), cancellationToken);
        switch (outcome)
        {
            case Tickets.CheckIn.Admitted(var admitted):
                BookingMetrics.CheckIns.Add(1, new KeyValuePair<string, object?>("outcome", "admitted"));
                return TypedResults.Ok(admitted);
            case Tickets.CheckIn.Void(var orderStatus):
                BookingMetrics.CheckIns.Add(1, new KeyValuePair<string, object?>("outcome", "void"));
                return Problems.Of(ProblemTypes.TicketVoid, "This ticket is no longer valid.",
                    "Its order was cancelled (the event was cancelled) and refunded.",
                    new Dictionary<string, object?> { ["orderStatus"] = orderStatus, ["ticketId"] = claims.TicketId });
            case Tickets.CheckIn.Repeat(var first):
                BookingMetrics.CheckIns.Add(1, new KeyValuePair<string, object?>("outcome", "repeat"));
                return Problems.Of(ProblemTypes.AlreadyCheckedIn, "Already checked in.", $"This ticket was checked in at {first:O}.",
                    new Dictionary<string, object?> { ["checkedInAt"] = first, ["ticketId"] = claims.TicketId, ["seat"] = claims.Seat });
            default:
                return Problems.NotFound("ticket");
        }
    }
}
