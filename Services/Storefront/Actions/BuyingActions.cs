using System.Globalization;
using Boxoffice.Storefront.Api;
using Boxoffice.Storefront.Components.Pages;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Boxoffice.Storefront.Actions;

/// <summary>
/// What a buyer's forms post: joining a queue, holding places, placing the order. Each calls the
/// API as the buyer and answers with a redirect to the next page (post, redirect, get), or with a
/// page that says what went wrong. Antiforgery tokens are checked on every one.
/// </summary>
internal static class BuyingActions
{
    public static IEndpointRouteBuilder MapBuyingActions(this IEndpointRouteBuilder routes)
    {
        // Paths of their own, apart from the pages' (a page answers GET and POST alike). The gateway
        // limits joins by the browser's address (route storefront-queue-join, policy queue-join).
        var buyer = routes.MapGroup("").RequireAuthorization();
        buyer.MapPost("/events/{id:guid}/queue/join", JoinQueue);
        buyer.MapPost("/events/{id:guid}/holds", Hold);
        buyer.MapPost("/checkout/{holdId:guid}/order", PlaceOrder);
        return routes;
    }

    private static async Task<IResult> JoinQueue(Guid id, HttpContext context, BoxofficeApi api, QueuePasses passes, ProofOfWorkSolver solver)
    {
        var token = await context.GetTokenAsync("access_token") ?? "";
        var cancellationToken = context.RequestAborted;
        object? proof = null;
        var room = await api.GetWaitingRoomAsync(id, cancellationToken);
        if (room.Value is { ProofOfWorkBits: > 0 })
        {
            // The organizer asked joins to cost some work. The storefront does it for the buyer, one
            // at a time per replica and only up to ProofOfWorkSolver.MaxBits; the gateway limits how
            // often one address may ask (policy queue-join).
            var challenge = await api.GetChallengeAsync(id, token, cancellationToken);
            if (challenge.Value is not { } puzzle)
            {
                return ProblemPage.Result(challenge.Problem!, $"/events/{id}");
            }

            if (await solver.SolveAsync(puzzle.Value, puzzle.Bits, cancellationToken) is not { } solution)
            {
                return ProblemPage.Result(ProofOfWorkSolver.TooHard, $"/events/{id}");
            }

            proof = new { challenge = puzzle.Value, solution };
        }

        var joined = await api.JoinQueueAsync(id, token, proof, cancellationToken);
        if (joined.Value is not { Ticket: { } ticket })
        {
            return ProblemPage.Result(joined.Problem ?? ApiProblem.Unavailable, $"/events/{id}");
        }

        passes.Write(context, id, new QueuePass(ticket, QueuePasses.BuyerOf(context.User)));
        return TypedResults.Redirect($"/events/{id}/queue");
    }

    private static async Task<IResult> Hold(Guid id, HttpContext context, BoxofficeApi api, QueuePasses passes, IFormCollection form)
    {
        if (ParseHold(form) is not { } hold)
        {
            return ProblemPage.Result(new ApiProblem(StatusCodes.Status400BadRequest, null, "Choose what to hold.",
                "Pick one or more seats, or a number of places of a tier, then hold them."), $"/events/{id}");
        }

        var token = await context.GetTokenAsync("access_token") ?? "";
        var held = await api.HoldAsync(id, hold, token, Key(form), passes.AdmissionFor(context, id), context.RequestAborted);
        if (held.Value is { } taken)
        {
            return TypedResults.Redirect($"/checkout/{taken.HoldId}");
        }

        return held.Problem?.Name == "admission-required"
            ? TypedResults.Redirect($"/events/{id}/queue")
            : ProblemPage.Result(held.Problem ?? ApiProblem.Unavailable, $"/events/{id}");
    }

    private static async Task<IResult> PlaceOrder(Guid holdId, HttpContext context, BoxofficeApi api, QueuePasses passes, IFormCollection form)
    {
        var token = await context.GetTokenAsync("access_token") ?? "";
        var cancellationToken = context.RequestAborted;
        var hold = await api.GetHoldAsync(holdId, token, cancellationToken);
        if (hold.Value is not { } held)
        {
            return ProblemPage.Result(hold.Problem ?? ApiProblem.Unavailable, "/");
        }

        var placed = await api.PlaceOrderAsync(holdId, token, Key(form), passes.AdmissionFor(context, held.EventId), cancellationToken);
        if (placed.Value is { } order)
        {
            return TypedResults.Redirect($"/orders/{order.OrderId}");
        }

        return placed.Problem?.Name == "admission-required"
            ? TypedResults.Redirect($"/events/{held.EventId}/queue")
            : ProblemPage.Result(placed.Problem ?? ApiProblem.Unavailable, $"/checkout/{holdId}");
    }

    /// <summary>
    /// The form's idempotency key, made when the page was drawn: the same form posted twice (a double
    /// click, a resent post) is the same hold or order, never a second one.
    /// </summary>
    private static string Key(IFormCollection form) =>
        form["key"].ToString() is { Length: >= 16 and <= 64 } key && key.All(char.IsAsciiLetterOrDigit) ? key : Guid.NewGuid().ToString("N");

    /// <summary>
    /// A tier and a quantity (<c>tier</c>, <c>quantity</c>), or seats (<c>seat</c>, each
    /// <c>section/row/number</c> with the names URL-encoded); null when the form chose nothing usable.
    /// </summary>
    internal static HoldRequest? ParseHold(IFormCollection form)
    {
        var seats = new List<SeatChoice>();
        foreach (var value in form["seat"])
        {
            var parts = value?.Split('/') ?? [];
            if (parts.Length != 3 || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1)
            {
                return null;
            }

            var section = Uri.UnescapeDataString(parts[0]);
            var row = Uri.UnescapeDataString(parts[1]);
            if (section.Length is 0 or > 200 || row.Length > 50)
            {
                return null;
            }

            seats.Add(new SeatChoice(section, row.Length == 0 ? null : row, number));
        }

        if (seats.Count is > 0 and <= 100)
        {
            return new HoldRequest(null, null, seats);
        }

        return seats.Count == 0
            && Guid.TryParse(form["tier"].ToString(), out var tier)
            && int.TryParse(form["quantity"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var quantity) && quantity is >= 1 and <= 100
            ? new HoldRequest(tier, quantity, null)
            : null;
    }
}
