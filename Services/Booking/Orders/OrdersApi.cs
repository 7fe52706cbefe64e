using System.Security.Claims;
using Boxoffice.Contracts.Booking;
using Boxoffice.Messaging.Outbox;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using Boxoffice.Messaging.Postgres;

namespace Boxoffice.Booking.Orders;

/// <summary>A buyer's orders and their tickets. Another buyer's order is not found (404), as for no order.</summary>
internal static class OrdersApi
{
    private const string OrderColumns = "order_id, event_id, hold_id, status, amount, currency, units, created_at, pay_by, cancel_reason";

    public static IEndpointRouteBuilder MapOrdersApi(this IEndpointRouteBuilder routes)
    {
        var buyer = routes.MapGroup("/orders").WithTags("Orders").RequireAuthorization(BoxofficeAuth.Policies.Buyer);
        buyer.MapPost("/", PlaceOrder).WithName("PlaceOrder");
        buyer.MapGet("/", ListOrders).WithName("ListOrders");
        buyer.MapGet("/{id:guid}", GetOrder).WithName("GetOrder");
        buyer.MapGet("/{id:guid}/tickets", GetOrderTickets).WithName("GetOrderTickets");
        return routes;
    }

    /// <summary>Turns an active hold into an order waiting for payment until the hold expires; Payments charges it.</summary>
    private static async Task<Results<Created<OrderView>, ValidationProblem, ProblemHttpResult>> PlaceOrder(
        OrderRequest request, HttpRequest http, ClaimsPrincipal user, NpgsqlDataSource db, OutboxWriter outbox, TimeProvider time, CancellationToken cancellationToken)
    {
        var (key, keyError) = IdempotencyKeys.Read(http);
        if (keyError is not null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [IdempotencyKeys.Header] = [keyError] });
        }

        var buyerId = user.BuyerId();
        var fingerprint = key is null ? null : IdempotencyKeys.Fingerprint(http, request);
        return await Transactions.RunAsync<Results<Created<OrderView>, ValidationProblem, ProblemHttpResult>>(db, async (connection, transaction) =>
        {
            if (key is not null && await IdempotencyKeys.ClaimAsync(transaction, buyerId, key, fingerprint!, cancellationToken) is { } earlier)
            {
                return earlier.SameRequest ? TypedResults.Created(earlier.Location, earlier.Answer<OrderView>()) : IdempotencyKeys.Reused();
            }

            var now = time.Now();
            Guid eventId;
            int units;
            decimal amount;
            string currency;
            DateTimeOffset payBy;
            await using (var hold = transaction.Command(
                """
                SELECT h.event_id, h.status, h.expires_at, h.units, h.amount, e.currency, e.status
                FROM holds h JOIN events e ON e.event_id = h.event_id
                WHERE h.hold_id = $1 AND h.buyer_id = $2
                FOR UPDATE OF h
                """, request.HoldId, buyerId))
            await using (var reader = await hold.ExecuteReaderAsync(cancellationToken))
            {
                if (!await reader.ReadAsync(cancellationToken))
                {
                    return Problems.NotFound("hold");
                }

                var status = reader.GetString(1);
                if (status != "active" || reader.GetFieldValue<DateTimeOffset>(2) <= now)
                {
                    var shown = status == "active" ? "expired" : status;
                    return Problems.Conflict("hold-state", "The hold cannot become an order.",
                        shown == "ordered" ? "The hold is already an order." : $"The hold is {shown}: take a new one.", new() { ["holdStatus"] = shown });
                }

                if (reader.GetString(6) == "cancelled")
                {
                    return Problems.Conflict("sale-not-open", "The event was cancelled.", "Nothing more is sold for a cancelled event.", new() { ["eventStatus"] = "cancelled" });
                }

                (eventId, units, amount, currency) = (reader.GetGuid(0), reader.GetInt32(3), reader.GetDecimal(4), reader.GetString(5));
                payBy = reader.GetFieldValue<DateTimeOffset>(2);
            }

            var order = new OrderView(Guid.CreateVersion7(now), eventId, request.HoldId!.Value, "pending-payment", amount, currency, units, now, payBy, null);
            await using (var insert = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands =
                {
                    Sql.Batch(
                        "INSERT INTO orders (order_id, hold_id, event_id, buyer_id, amount, currency, units, status, created_at, pay_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending-payment', $8, $9, $8)",
                        order.OrderId, order.HoldId, eventId, buyerId, amount, currency, units, now, payBy),
                    Sql.Batch("UPDATE holds SET status = 'ordered' WHERE hold_id = $1", order.HoldId),
                },
            })
            {
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }

            await outbox.EnqueueAsync(connection, transaction, new OrderPlaced(order.OrderId, eventId, buyerId, amount, currency, units, payBy), cancellationToken);
            var location = http.CreatedLocation(order.OrderId);
            if (key is not null)
            {
                await IdempotencyKeys.RecordAsync(transaction, buyerId, key, location, order, cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            BookingMetrics.OrdersPlaced.Add(1);
            return TypedResults.Created(location, order);
        }, cancellationToken);
    }

    private static async Task<Ok<IReadOnlyList<OrderView>>> ListOrders(ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var select = new NpgsqlCommand($"SELECT {OrderColumns} FROM orders WHERE buyer_id = $1 ORDER BY created_at DESC LIMIT 200", connection)
        {
            Parameters = { new() { Value = user.BuyerId() } },
        };
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        var orders = new List<OrderView>();
        while (await reader.ReadAsync(cancellationToken))
        {
            orders.Add(Read(reader));
        }

        return TypedResults.Ok<IReadOnlyList<OrderView>>(orders);
    }

    /// <summary>What a buyer's app polls while the payment is processed: patient with a restarting database.</summary>
    private static Task<Results<Ok<OrderView>, ProblemHttpResult>> GetOrder(Guid id, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        Transactions.ReadAsync<Results<Ok<OrderView>, ProblemHttpResult>>(db, async connection =>
        {
            await using var select = new NpgsqlCommand($"SELECT {OrderColumns} FROM orders WHERE order_id = $1 AND buyer_id = $2", connection)
            {
                Parameters = { new() { Value = id }, new() { Value = user.BuyerId() } },
            };
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? TypedResults.Ok(Read(reader)) : Problems.NotFound("order");
        }, cancellationToken);

    private static async Task<Results<Ok<IReadOnlyList<TicketView>>, ProblemHttpResult>> GetOrderTickets(
        Guid id, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using (var exists = new NpgsqlCommand("SELECT 1 FROM orders WHERE order_id = $1 AND buyer_id = $2", connection)
        {
            Parameters = { new() { Value = id }, new() { Value = user.BuyerId() } },
        })
        {
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                return Problems.NotFound("order");
            }
        }

        return TypedResults.Ok(await Tickets.TicketsApi.ReadAsync(connection, "order_id = $1 AND buyer_id = $2", [id, user.BuyerId()], cancellationToken));
    }

    private static OrderView Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetString(3), reader.GetDecimal(4), reader.GetString(5), reader.GetInt32(6),
        reader.GetFieldValue<DateTimeOffset>(7), reader.GetFieldValue<DateTimeOffset>(8), reader.IsDBNull(9) ? null : reader.GetString(9));
}
