using System.Security.Claims;
using Boxoffice.Booking.Inventory;
using Boxoffice.Contracts.WaitingRoom;
using Boxoffice.Messaging.Outbox;
using Boxoffice.Postgres;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Boxoffice.Booking.Holds;

/// <summary>A buyer's holds: take, read, release. Another buyer's hold is not found (404).</summary>
internal static class HoldsApi
{
    public static IEndpointRouteBuilder MapHoldsApi(this IEndpointRouteBuilder routes)
    {
        var buyer = routes.MapGroup("").WithTags("Holds").RequireAuthorization(BoxofficeAuth.Policies.Buyer);
        buyer.MapPost("/events/{id:guid}/holds", CreateHold).WithName("CreateHold").WithHandlingTime("hold");
        buyer.MapGet("/holds/{id:guid}", GetHold).WithName("GetHold");
        buyer.MapDelete("/holds/{id:guid}", ReleaseHold).WithName("ReleaseHold");
        return routes;
    }

    private static async Task<Results<Created<HoldView>, ValidationProblem, ProblemHttpResult>> CreateHold(
        Guid id, HoldRequest request, HttpRequest http, ClaimsPrincipal user, NpgsqlDataSource db, OutboxWriter outbox,
        WaitingRoomTokens tokens, IOptions<BookingOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var (idempotency, keyErrors) = IdempotencyKeys.Bind(http, request);
        if (keyErrors is not null)
        {
            return TypedResults.ValidationProblem(keyErrors);
        }

        if (HoldRules.Check(request, options.Value) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var buyerId = user.BuyerId();
        var admission = Admissions.Read(http, tokens);
        // One batch, committed with its answer, with or without a key (the key is claimed in it).
        var outcome = await db.RunBatchAsync(
            connection => HoldStore.TakeAsync(connection, outbox, buyerId, id, request, idempotency, admission, options.Value, time.Now(), cancellationToken),
            End, time, cancellationToken);
        if (outcome is HoldOutcome.Taken taken)
        {
            if (!taken.Replayed)
            {
                BookingMetrics.HoldsTaken.Add(1);
                BookingMetrics.UnitsHeld.Add(taken.Hold.Units.Count);
            }

            return TypedResults.Created(HoldStore.Location(taken.Hold.HoldId), taken.Hold);
        }

        if (outcome is HoldOutcome.TooManyAbandoned { RetryAfter: var wait })
        {
            RetryAfter.Set(http.HttpContext.Response, wait);
        }

        var (problem, reason) = Refused(outcome, id);
        BookingMetrics.HoldsRefused.Add(1, new KeyValuePair<string, object?>("reason", reason.Name));
        return problem;
    }

    /// <summary>
    /// What the hold's batch comes to. PostgreSQL commits a batch with its answer, and every refusal
    /// (a replay too) left nothing written, so only <see cref="TransactionEnd.TryAgain"/> changes
    /// anything: the batch is sent again.
    /// </summary>
    private static TransactionEnd End(HoldOutcome outcome) => outcome switch
    {
        HoldOutcome.Taken { Replayed: false } => TransactionEnd.Commit,
        { IsContended: true } => TransactionEnd.TryAgain,
        _ => TransactionEnd.Rollback,
    };

    private static Task<Results<Ok<HoldView>, ProblemHttpResult>> GetHold(
        Guid id, ClaimsPrincipal user, NpgsqlDataSource db, TimeProvider time, CancellationToken cancellationToken) =>
        db.ReadAsync<Results<Ok<HoldView>, ProblemHttpResult>>(async connection =>
            await HoldStore.ReadAsync(connection, id, user.BuyerId(), time.Now(), cancellationToken) is { } hold
                ? TypedResults.Ok(hold)
                : Problems.NotFound("hold"),
            cancellationToken);

    /// <summary>Gives the units back at once. Releasing a hold that already ended is a no-op; one that became an order cannot be released.</summary>
    private static async Task<Results<NoContent, ProblemHttpResult>> ReleaseHold(
        Guid id, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        await db.RunAsync(transaction => HoldStore.ReleaseAsync(transaction, id, user.BuyerId(), cancellationToken), cancellationToken) switch
        {
            HoldRelease.NotFound => Problems.NotFound("hold"),
            HoldRelease.PartOfOrder(var status) => Problems.Of(ProblemTypes.HoldState, "The hold is part of an order.",
                $"The hold is {status}; cancel nothing here.", new Dictionary<string, object?> { ["holdStatus"] = status }),
            _ => TypedResults.NoContent(),
        };

    /// <summary>The answer to a refused hold, and its type (the reason the refusal metric counts).</summary>
    private static (ProblemHttpResult Problem, ProblemType Type) Refused(HoldOutcome outcome, Guid eventId) => outcome switch
    {
        HoldOutcome.KeyReused => (IdempotencyKeys.Reused(), ProblemTypes.IdempotencyKeyReused),
        HoldOutcome.EventNotFound => (Problems.NotFound("event"), ProblemTypes.NotFound),
        HoldOutcome.AdmissionRequired(var check) => (Admissions.Refused(check, eventId), ProblemTypes.AdmissionRequired),
        HoldOutcome.SaleNotOpen(var status) => Problem(ProblemTypes.SaleNotOpen, "The event is not on sale.",
            $"Holds are taken only while the sale is open; the event is {status}.", new() { ["eventStatus"] = status }),
        HoldOutcome.OverBuyerLimit(var limit, var held) => Problem(ProblemTypes.BuyerLimit, "That would be more than one buyer may have.",
            $"At most {limit} per buyer for this event; you have {held}.", new() { ["limit"] = limit, ["held"] = held }),
        HoldOutcome.TooManyAbandoned(var abandoned, var wait) => Problem(ProblemTypes.AbandonedHolds, "Too many holds given up on this event lately.",
            $"You released or let expire {abandoned} holds on this event lately; you may hold again in {RetryAfter.Seconds(wait)} s.",
            new() { ["abandoned"] = abandoned }),
        HoldOutcome.UnknownTier(var tierId) => Problem(ProblemTypes.UnknownTier, "The event has no such tier.", $"Tier {tierId} is not one of this event's tiers."),
        HoldOutcome.NotClaimed(UnitClaim.UnknownPlaces(var places)) => Problem(ProblemTypes.UnknownSeats, "Some seats are not sold for this event.",
            "Not sold here: " + string.Join(", ", places.Select(place => place.Label)) + "."),
        HoldOutcome.NotClaimed(UnitClaim.PlacesTaken(var places)) => Problem(ProblemTypes.SeatsUnavailable, "Some seats are taken.",
            "Taken: " + string.Join(", ", places.Select(place => place.Label)) + ".", new() { ["seats"] = places.Select(place => new SeatRequest(place.Section, place.Row, place.Seat)).ToList() }),
        HoldOutcome.NotClaimed(UnitClaim.SoldOut(var available)) => SoldOut(available),
        // Still contended after three tries: what is free is being claimed by others right now.
        HoldOutcome.NotClaimed(UnitClaim.Contended) => SoldOut(0),
        _ => throw new InvalidOperationException($"A hold outcome without an answer: {outcome}."),
    };

    private static (ProblemHttpResult, ProblemType) SoldOut(int available) =>
        Problem(ProblemTypes.SoldOut, "Not enough places left.",
            available == 0 ? "This tier is sold out." : $"Only {available} left in this tier.", new() { ["available"] = available });

    private static (ProblemHttpResult, ProblemType) Problem(ProblemType type, string title, string detail, Dictionary<string, object?>? extensions = null) =>
        (Problems.Of(type, title, detail, extensions), type);
}
