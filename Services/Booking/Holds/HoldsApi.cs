using System.Security.Claims;
using Boxoffice.Messaging.Outbox;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using Boxoffice.Messaging.Postgres;

namespace Boxoffice.Booking.Holds;

/// <summary>A buyer's holds: take, read, release. Another buyer's hold is not found (404).</summary>
internal static class HoldsApi
{
    public static IEndpointRouteBuilder MapHoldsApi(this IEndpointRouteBuilder routes)
    {
        var buyer = routes.MapGroup("").WithTags("Holds").RequireAuthorization(BoxofficeAuth.Policies.Buyer);
        buyer.MapPost("/events/{id:guid}/holds", CreateHold).WithName("CreateHold");
        buyer.MapGet("/holds/{id:guid}", GetHold).WithName("GetHold");
        buyer.MapDelete("/holds/{id:guid}", ReleaseHold).WithName("ReleaseHold");
        return routes;
    }

    private static async Task<Results<Created<HoldView>, ValidationProblem, ProblemHttpResult>> CreateHold(
        Guid id, HoldRequest request, HttpRequest http, ClaimsPrincipal user, NpgsqlDataSource db, OutboxWriter outbox,
        IOptions<BookingOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var (key, keyError) = IdempotencyKeys.Read(http);
        if (keyError is not null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [IdempotencyKeys.Header] = [keyError] });
        }

        if (HoldRules.Check(request, options.Value) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var buyerId = user.BuyerId();
        (string, byte[])? idempotency = key is null ? null : (key, IdempotencyKeys.Fingerprint(http, request));
        for (var attempt = 1; ; attempt++)
        {
            var outcome = await Transactions.RunAsync(db, (_, transaction) =>
                HoldStore.TakeAsync(transaction, outbox, buyerId, id, request, idempotency, options.Value, time.Now(), cancellationToken), cancellationToken);
            if (outcome.Hold is { } hold)
            {
                if (!outcome.Replayed)
                {
                    BookingMetrics.HoldsTaken.Add(1);
                    BookingMetrics.UnitsHeld.Add(hold.Units.Count);
                }

                return TypedResults.Created(HoldStore.Location(hold.HoldId), hold);
            }

            if (!outcome.Contended)
            {
                BookingMetrics.HoldsRefused.Add(1, new KeyValuePair<string, object?>("reason", outcome.Problem!.ProblemDetails.Type?.Replace(Problems.TypeBase, "", StringComparison.Ordinal)));
                return outcome.Problem!;
            }

            if (attempt == 3)
            {
                // Still contended after three tries: what is free is being claimed by others right now.
                BookingMetrics.HoldsRefused.Add(1, new KeyValuePair<string, object?>("reason", "sold-out"));
                return HoldStore.SoldOut(0);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 25)), time, cancellationToken);
        }
    }

    private static async Task<Results<Ok<HoldView>, ProblemHttpResult>> GetHold(
        Guid id, ClaimsPrincipal user, NpgsqlDataSource db, TimeProvider time, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        return await ReadAsync(transaction, id, user.BuyerId(), time.Now(), cancellationToken) is { } hold
            ? TypedResults.Ok(hold)
            : Problems.NotFound("hold");
    }

    /// <summary>Gives the units back at once. Releasing a hold that already ended is a no-op; one that became an order cannot be released.</summary>
    private static async Task<Results<NoContent, ProblemHttpResult>> ReleaseHold(
        Guid id, ClaimsPrincipal user, NpgsqlDataSource db, TimeProvider time, CancellationToken cancellationToken) =>
        await Transactions.RunAsync<Results<NoContent, ProblemHttpResult>>(db, async (_, transaction) =>
        {
            await using (var hold = transaction.Command("SELECT status FROM holds WHERE hold_id = $1 AND buyer_id = $2 FOR UPDATE", id, user.BuyerId()))
            {
                switch (await hold.ExecuteScalarAsync(cancellationToken))
                {
                    case null:
                        return Problems.NotFound("hold");
                    case "released" or "expired":
                        return TypedResults.NoContent();
                    case "active":
                        break;
                    case string status:
                        return Problems.Conflict("hold-state", "The hold is part of an order.", $"The hold is {status}; cancel nothing here.", new() { ["holdStatus"] = status });
                }
            }

            await using (var release = transaction.Command(
                """
                UPDATE holds SET status = 'released' WHERE hold_id = $1;
                """, id))
            {
                await release.ExecuteNonQueryAsync(cancellationToken);
            }

            await Orders.OrderFulfilmentSql.ReleaseUnitsAsync(transaction, id, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return TypedResults.NoContent();
        }, cancellationToken);

    internal static async Task<HoldView?> ReadAsync(NpgsqlTransaction transaction, Guid holdId, string buyerId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Guid eventId;
        string status;
        DateTimeOffset expiresAt;
        decimal amount;
        string currency;
        await using (var hold = transaction.Command(
            "SELECT h.event_id, h.status, h.expires_at, h.amount, e.currency FROM holds h JOIN events e ON e.event_id = h.event_id WHERE h.hold_id = $1 AND h.buyer_id = $2",
            holdId, buyerId))
        await using (var reader = await hold.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            (eventId, status, expiresAt, amount, currency) = (reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetDecimal(3), reader.GetString(4));
        }

        var units = new List<HeldUnit>();
        await using (var held = transaction.Command(
            "SELECT u.section, u.row_label, u.seat, u.tier_id, t.price FROM units u JOIN tiers t ON t.tier_id = u.tier_id WHERE u.hold_id = $1 ORDER BY u.unit_id", holdId))
        await using (var reader = await held.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                units.Add(new HeldUnit(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt32(2), reader.GetGuid(3), reader.GetDecimal(4)));
            }
        }

        // An active hold past its time is expired, whether or not the sweeper has come by yet.
        return new HoldView(holdId, eventId, status == "active" && expiresAt <= now ? "expired" : status, expiresAt, amount, currency,
            status is "released" or "expired" ? [] : units);
    }
}
