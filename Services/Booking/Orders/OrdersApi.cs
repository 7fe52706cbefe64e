using System.Security.Claims;
using Boxoffice.Booking.Tickets;
using Boxoffice.Contracts.WaitingRoom;
using Boxoffice.Postgres;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Boxoffice.Booking.Orders;

/// <summary>A buyer's orders and their tickets. Another buyer's order is not found (404), as for no order.</summary>
internal static class OrdersApi
{
    public static IEndpointRouteBuilder MapOrdersApi(this IEndpointRouteBuilder routes)
    {
        var buyer = routes.MapGroup("/orders").WithTags("Orders").RequireAuthorization(BoxofficeAuth.Policies.Buyer);
        buyer.MapPost("/", PlaceOrder).WithName("PlaceOrder").WithHandlingTime("order");
        buyer.MapGet("/", ListOrders).WithName("ListOrders");
        buyer.MapGet("/{id:guid}", GetOrder).WithName("GetOrder");
        buyer.MapGet("/{id:guid}/tickets", GetOrderTickets).WithName("GetOrderTickets");
        return routes;
    }

    /// <summary>
    /// Turns an active hold into an order waiting for payment until the hold expires; Payments
    /// charges it. The answer's <c>Retry-After</c> says when to look at the order first.
    /// </summary>
    private static async Task<Results<Created<OrderView>, ValidationProblem, ProblemHttpResult>> PlaceOrder(
        OrderRequest request, HttpRequest http, ClaimsPrincipal user, NpgsqlDataSource db, OrderFulfilment orders, WaitingRoomTokens tokens, TimeProvider time,
        IOptions<BookingOptions> options, CancellationToken cancellationToken)
    {
        var (idempotency, keyErrors) = IdempotencyKeys.Bind(http, request);
        if (keyErrors is not null)
        {
            return TypedResults.ValidationProblem(keyErrors);
        }

        var buyerId = user.BuyerId();
        var admission = Admissions.Read(http, tokens);
        var placement = await db.RunAsync(
            transaction => orders.PlaceAsync(transaction, buyerId, request.HoldId!.Value, idempotency, admission, http.CreatedLocation, cancellationToken),
            result => result is OrderPlacement.Placed { Replayed: false } ? TransactionEnd.Commit : TransactionEnd.Rollback,
            time,
            cancellationToken);
        switch (placement)
        {
            case OrderPlacement.Placed(var order, var location, var replayed):
                if (!replayed)
                {
                    BookingMetrics.OrdersPlaced.Add(1);
                }

                // The new order waits for its payment: when to look at it first.
                RetryAfter.Set(http.HttpContext.Response, options.Value.PendingOrderPollInterval);
                return TypedResults.Created(location, order);
            case OrderPlacement.KeyReused:
                return IdempotencyKeys.Reused();
            case OrderPlacement.HoldNotActive(var status):
                return Problems.Of(ProblemTypes.HoldState, "The hold cannot become an order.",
                    status == "ordered" ? "The hold is already an order." : $"The hold is {status}: take a new one.",
                    new Dictionary<string, object?> { ["holdStatus"] = status });
            case OrderPlacement.AdmissionRequired(var eventId, var check):
                return Admissions.Refused(check, eventId);
            case OrderPlacement.EventCancelled:
                return Problems.Of(ProblemTypes.SaleNotOpen, "The event was cancelled.", "Nothing more is sold for a cancelled event.",
                    new Dictionary<string, object?> { ["eventStatus"] = "cancelled" });
            default:
                return Problems.NotFound("hold");
        }
    }

    /// <summary>The buyer's orders, newest first, a page at a time (<see cref="PageRequest"/>): the next page's address in the Link header.</summary>
    private static Task<Results<Ok<IReadOnlyList<OrderView>>, ValidationProblem>> ListOrders(
        HttpRequest http, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        PageRequest.AnswerAsync(
            http,
            page => db.ReadAsync(connection => OrderStore.ListAsync(connection, user.BuyerId(), page.Limit, page.After, cancellationToken), cancellationToken),
            order => order.OrderId);

    /// <summary>
    /// What a buyer's app polls while the payment is processed: patient with a restarting database.
    /// A pending order's answer says when to look again (<c>Retry-After</c>,
    /// <see cref="BookingOptions.PendingOrderPollInterval"/>).
    /// </summary>
    private static async Task<Results<Ok<OrderView>, ProblemHttpResult>> GetOrder(
        Guid id, ClaimsPrincipal user, HttpResponse response, NpgsqlDataSource db, IOptions<BookingOptions> options, CancellationToken cancellationToken)
    {
        if (await db.ReadAsync(connection => OrderStore.FindAsync(connection, id, user.BuyerId(), cancellationToken), cancellationToken) is not { } order)
        {
            return Problems.NotFound("order");
        }

        if (order.Status == "pending-payment")
        {
            RetryAfter.Set(response, options.Value.PendingOrderPollInterval);
        }

        return TypedResults.Ok(order);
    }

    private static Task<Results<Ok<IReadOnlyList<TicketView>>, ProblemHttpResult>> GetOrderTickets(
        Guid id, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        db.ReadAsync<Results<Ok<IReadOnlyList<TicketView>>, ProblemHttpResult>>(async connection =>
            await OrderStore.ExistsAsync(connection, id, user.BuyerId(), cancellationToken)
                ? TypedResults.Ok(await TicketStore.ReadOfOrderAsync(connection, id, user.BuyerId(), cancellationToken))
                : Problems.NotFound("order"),
            cancellationToken);
}
