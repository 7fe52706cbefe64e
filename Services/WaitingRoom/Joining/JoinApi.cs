using System.Security.Claims;
using Boxoffice.Contracts.WaitingRoom;
using Boxoffice.Postgres;
using Boxoffice.WaitingRoom.Queues;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace Boxoffice.WaitingRoom.Joining;

/// <summary>A buyer takes a place in an event's queue (once), after a proof of work if the queue asks for one.</summary>
internal static class JoinApi
{
    public static IEndpointRouteBuilder MapJoinApi(this IEndpointRouteBuilder routes)
    {
        var buyer = routes.MapGroup("/events/{id:guid}").WithTags("Waiting room").RequireAuthorization(BoxofficeAuth.Policies.Buyer);
        buyer.MapPost("/challenge", CreateChallenge).WithName("CreateJoinChallenge");
        // A challenge token (at most 1,024 characters) and a solution (at most 32).
        buyer.MapPost("/join", Join).WithName("JoinQueue").WithMetadata(new RequestSizeLimitAttribute(16 * 1024));
        return routes;
    }

    private static async Task<Results<Ok<ChallengeView>, ProblemHttpResult>> CreateChallenge(
        Guid id, ClaimsPrincipal user, QueueSnapshots queues, WaitingRoomTokens tokens, TimeProvider time, CancellationToken cancellationToken)
    {
        if (await queues.FindAsync(id, cancellationToken) is not { } view)
        {
            return Problems.NotFound("waiting room");
        }

        var challenge = JoinRules.NewChallenge(id, user.BuyerId(), view.Queue.ProofOfWorkBits, time.GetUtcNow());
        return TypedResults.Ok(new ChallengeView(tokens.Sign(challenge), challenge.Bits, DateTimeOffset.FromUnixTimeSeconds(challenge.ExpiresAtUnix)));
    }

    /// <summary>201 with the new place's status and ticket; 200 with the same for a buyer who has a place already.</summary>
    private static async Task<Results<Created<QueueStatus>, Ok<QueueStatus>, ProblemHttpResult>> Join(
        Guid id, JoinRequest? request, ClaimsPrincipal user, HttpResponse response, NpgsqlDataSource db, WaitingRoomTokens tokens, QueueSnapshots queues,
        TimeProvider time, CancellationToken cancellationToken)
    {
        using var activity = WaitingRoomTelemetry.Source.StartActivity("waiting-room join");
        activity?.SetTag("boxoffice.event_id", id);
        var buyerId = user.BuyerId();
        var outcome = await db.RunAsync(
            transaction => Joins.JoinAsync(transaction, tokens, request, id, buyerId, time.Now(), cancellationToken),
            result => result switch
            {
                JoinOutcome.Joined { First: true } => TransactionEnd.Commit,
                JoinOutcome.RacedOpening => TransactionEnd.TryAgain,
                _ => TransactionEnd.Rollback,
            },
            time,
            cancellationToken);
        activity?.SetTag("boxoffice.join_outcome", outcome.GetType().Name);

        switch (outcome)
        {
            case JoinOutcome.Joined joined:
                var status = StatusOf(joined, buyerId, tokens, queues, time.GetUtcNow());
                if (!joined.First)
                {
                    return TypedResults.Ok(status);
                }

                WaitingRoomMetrics.Joins.Add(1, new KeyValuePair<string, object?>("kind", joined.Place.Prequeue ? QueueStates.Prequeue : "late"));
                return TypedResults.Created((string?)null, status);
            case JoinOutcome.NoQueue:
                return Problems.NotFound("waiting room");
            case JoinOutcome.NotOpenYet(var opensAt):
                return Problems.Of(ProblemTypes.QueueNotOpen, "The queue is not open yet.", $"Its pre-queue opens at {opensAt:O}.",
                    new Dictionary<string, object?> { ["opensAt"] = opensAt });
            case JoinOutcome.Closed(var eventStatus):
                return Problems.Of(ProblemTypes.QueueNotOpen, "The sale has ended.", $"The event is {eventStatus}: nobody more is admitted.",
                    new Dictionary<string, object?> { ["eventStatus"] = eventStatus });
            case JoinOutcome.ProofFailed(var check):
                return Problems.Of(ProblemTypes.ProofOfWorkFailed, "A proof of work is needed to join this queue.", check.Detail(),
                    new Dictionary<string, object?> { ["challenge"] = ChallengePath(id), ["reason"] = check.Reason() });
            default:
                // Still racing the opening after three tries: the opening tick is slow; a second later it is over.
                response.Headers.RetryAfter = "1";
                return Problems.Of(ProblemTypes.Unavailable, "The queue is opening.", "Join again in a second.");
        }
    }

    /// <summary>Where a buyer gets a challenge, through the gateway.</summary>
    public static string ChallengePath(Guid eventId) => $"/api/waiting-room/events/{eventId}/challenge";

    /// <summary>The place's status as the gateway will answer it, with the signed ticket the buyer polls with.</summary>
    private static QueueStatus StatusOf(JoinOutcome.Joined joined, string buyerId, WaitingRoomTokens tokens, QueueSnapshots queues, DateTimeOffset now)
    {
        var ticket = new QueueTicket(joined.Place.EventId, buyerId, joined.Place.Rank, joined.Place.JoinedAt.ToUnixTimeSeconds());
        return QueueRules.StatusOf(ticket, queues.SnapshotOf(joined.Queue, now), now) with { Ticket = tokens.Sign(ticket) };
    }
}
