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
        tickets.MapPost("/check-in", CheckIn).WithName("CheckIn").WithHandlingTime("check_in").RequireAuthorization(BoxofficeAuth.Policies.Staff);
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
    /// <remarks>
    /// Staff admit only the events they work (<see cref="BoxofficeAuth.WorksFor"/>, from their
    /// token): a code for any other event is refused with 403, written to
    /// <c>check_in_refusals</c> and logged, and the ticket stays as it was.
    /// </remarks>
    private static async Task<Results<Ok<CheckInView>, ProblemHttpResult>> CheckIn(
        CheckInRequest request, ClaimsPrincipal user, NpgsqlDataSource db, TicketSigner signer, OutboxWriter outbox, TimeProvider time,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (TicketSigner.Verify(await signer.KeyAsync(cancellationToken), request.Code!) is not { } claims)
        {
            BookingMetrics.CheckIns.Add(1, new KeyValuePair<string, object?>("outcome", "invalid"));
            return Problems.Of(ProblemTypes.InvalidTicketCode, "This is not a valid ticket.", "The code is malformed, altered, or not signed by Boxoffice.");
        }

        var staffId = user.FindFirstValue("sub") ?? "staff";
        if (!await WorksEventAsync(db, user, claims.EventId, cancellationToken))
        {
            await db.RunAsync(transaction => RecordRefusalAsync(transaction, staffId, claims, time.Now(), cancellationToken), cancellationToken);
            BookingMetrics.CheckIns.Add(1, new KeyValuePair<string, object?>("outcome", "not-staff-of-event"));
            CheckInLog.NotStaffOfEvent(loggers.CreateLogger(typeof(TicketsApi).FullName!), staffId, claims.TicketId, claims.EventId);
            return Problems.Of(ProblemTypes.NotStaffOfEvent, "You do not check in tickets for this event.",
                "Your account is not given this event, nor its organizer's events. The scan was recorded.");
        }

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

    /// <summary>Whether the staff token works the event: by its id, or by its organizer's (booking's own copy of the event).</summary>
    private static async Task<bool> WorksEventAsync(NpgsqlDataSource db, ClaimsPrincipal staff, Guid eventId, CancellationToken cancellationToken)
    {
        if (BoxofficeAuth.WorksFor.Covers(staff, eventId, organizerId: null))
        {
            return true;
        }

        var organizerId = await db.ReadAsync(async connection =>
        {
            await using var command = connection.Command("SELECT organizer_id FROM events WHERE event_id = $1", eventId);
            return await command.ExecuteScalarAsync(cancellationToken) as string;
        }, cancellationToken);
        return BoxofficeAuth.WorksFor.Covers(staff, eventId, organizerId);
    }

    private static async Task<bool> RecordRefusalAsync(NpgsqlTransaction transaction, string staffId, TicketClaims claims, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = transaction.Command(
            "INSERT INTO check_in_refusals (refused_at, staff_id, ticket_id, event_id) VALUES ($1, $2, $3, $4)", now, staffId, claims.TicketId, claims.EventId);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return true;
    }
}

internal static partial class CheckInLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Check-in refused: staff {StaffId} scanned ticket {TicketId} of event {EventId}, which they do not work")]
    public static partial void NotStaffOfEvent(ILogger logger, string staffId, Guid ticketId, Guid eventId);
}
