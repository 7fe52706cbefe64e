using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Boxoffice.Contracts.Booking;
using Boxoffice.Booking.Orders;
using Boxoffice.Messaging.Outbox;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using Boxoffice.Messaging.Postgres;

namespace Boxoffice.Booking.Tickets;

public sealed record CheckInRequest([Required, StringLength(TicketSigner.MaxCodeLength, MinimumLength = 1)] string? Code);

public sealed record CheckInView(Guid TicketId, Guid EventId, string Seat, string Status, DateTimeOffset CheckedInAt);

public sealed record SigningKeyView(string KeyId, string Algorithm, string PublicKey);

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

    private static async Task<Ok<IReadOnlyList<TicketView>>> ListTickets(ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return TypedResults.Ok(await ReadAsync(connection, "buyer_id = $1", [user.BuyerId()], cancellationToken));
    }

    /// <summary>Admits a ticket once: the first scan checks it in, every later one answers 409 with the first scan's time.</summary>
    private static async Task<Results<Ok<CheckInView>, ProblemHttpResult>> CheckIn(
        CheckInRequest request, ClaimsPrincipal user, NpgsqlDataSource db, TicketSigner signer, OutboxWriter outbox, TimeProvider time, CancellationToken cancellationToken)
    {
        if (TicketSigner.Verify(await signer.KeyAsync(cancellationToken), request.Code!) is not { } claims)
        {
            BookingMetrics.CheckIns.Add(1, new KeyValuePair<string, object?>("outcome", "invalid"));
            return Problems.Unprocessable("invalid-ticket-code", "This is not a valid ticket.", "The code is malformed, altered, or not signed by Boxoffice.");
        }

        var staffId = user.FindFirstValue("sub") ?? "staff";
        return await Transactions.RunAsync<Results<Ok<CheckInView>, ProblemHttpResult>>(db, async (connection, transaction) =>
        {
            var now = time.Now();
            await using (var admit = transaction.Command(
                """
                UPDATE tickets t SET checked_in_at = $2, checked_in_by = $3
                WHERE t.ticket_id = $1 AND t.checked_in_at IS NULL
                  AND EXISTS (SELECT 1 FROM orders o WHERE o.order_id = t.order_id AND o.status = 'confirmed')
                RETURNING t.order_id, t.event_id, t.seat
                """,
                claims.TicketId, now, staffId))
            await using (var reader = await admit.ExecuteReaderAsync(cancellationToken))
            {
                if (await reader.ReadAsync(cancellationToken))
                {
                    var (orderId, eventId, seat) = (reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2));
                    await reader.DisposeAsync();
                    await outbox.EnqueueAsync(connection, transaction, new TicketCheckedIn(claims.TicketId, orderId, eventId, now), cancellationToken);
                    await transaction.CommitAsync(cancellationToken);
                    BookingMetrics.CheckIns.Add(1, new KeyValuePair<string, object?>("outcome", "admitted"));
                    return TypedResults.Ok(new CheckInView(claims.TicketId, eventId, seat, "checked-in", now));
                }
            }

            await using var earlier = transaction.Command(
                "SELECT t.checked_in_at, o.status FROM tickets t JOIN orders o ON o.order_id = t.order_id WHERE t.ticket_id = $1", claims.TicketId);
            await using var row = await earlier.ExecuteReaderAsync(cancellationToken);
            if (!await row.ReadAsync(cancellationToken))
            {
                return Problems.NotFound("ticket");
            }

            if (row.GetString(1) != "confirmed")
            {
                BookingMetrics.CheckIns.Add(1, new KeyValuePair<string, object?>("outcome", "void"));
                return Problems.Conflict("ticket-void", "This ticket is no longer valid.",
                    "Its order was cancelled (the event was cancelled) and refunded.", new() { ["orderStatus"] = row.GetString(1), ["ticketId"] = claims.TicketId });
            }

            var firstTime = row.GetDateTime(0);

            BookingMetrics.CheckIns.Add(1, new KeyValuePair<string, object?>("outcome", "repeat"));
            var first = new DateTimeOffset(DateTime.SpecifyKind(firstTime, DateTimeKind.Utc));
            return Problems.Conflict("already-checked-in", "Already checked in.",
                $"This ticket was checked in at {first:O}.", new() { ["checkedInAt"] = first, ["ticketId"] = claims.TicketId, ["seat"] = claims.Seat });
        }, cancellationToken);
    }

    internal static async Task<IReadOnlyList<TicketView>> ReadAsync(NpgsqlConnection connection, string where, object[] parameters, CancellationToken cancellationToken)
    {
        await using var select = new NpgsqlCommand(
            $"SELECT ticket_id, order_id, event_id, seat, code, issued_at, checked_in_at FROM tickets WHERE {where} ORDER BY issued_at, seat", connection);
        foreach (var parameter in parameters)
        {
            select.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        var tickets = new List<TicketView>();
        while (await reader.ReadAsync(cancellationToken))
        {
            tickets.Add(new TicketView(reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetString(3), reader.GetString(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6)));
        }

        return tickets;
    }
}
