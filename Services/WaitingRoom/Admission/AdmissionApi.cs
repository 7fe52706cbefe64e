using System.Security.Claims;
using Boxoffice.Contracts.WaitingRoom;
using Boxoffice.Postgres;
using Boxoffice.WaitingRoom.Queues;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Boxoffice.WaitingRoom.Admission;

/// <summary>
/// The buyer's turn: the gateway asks here, with the buyer's own token and ticket, once the ticket's
/// rank was offered admission. The answer is the admission (holds and orders need it), or the
/// place's status when it is not the buyer's turn after all.
/// </summary>
internal static class AdmissionApi
{
    public static IEndpointRouteBuilder MapAdmissionApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/events/{id:guid}/admission", Admit).WithTags("Waiting room").WithName("ClaimAdmission")
            .RequireAuthorization(BoxofficeAuth.Policies.Buyer);
        return routes;
    }

    private static async Task<Results<Ok<QueueStatus>, ProblemHttpResult>> Admit(
        Guid id, HttpRequest http, ClaimsPrincipal user, NpgsqlDataSource db, WaitingRoomTokens tokens, QueueSnapshots queues,
        IOptions<WaitingRoomOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        using var activity = WaitingRoomTelemetry.Source.StartActivity("waiting-room admission");
        activity?.SetTag("boxoffice.event_id", id);
        var buyerId = user.BuyerId();
        var (ticket, refusal) = AdmissionRules.CheckTicket(tokens, http.Headers[WaitingRoomTokens.TicketHeader].ToString(), id, buyerId);
        if (ticket is null)
        {
            activity?.SetTag("boxoffice.admission_outcome", "invalid-ticket");
            return Problems.Of(ProblemTypes.InvalidQueueTicket, "The queue ticket is not valid here.",
                $"Send the ticket your join returned, in the {WaitingRoomTokens.TicketHeader} header.", new Dictionary<string, object?> { ["reason"] = refusal });
        }

        var outcome = await db.RunAsync(
            transaction => Admissions.AskAsync(transaction, ticket, time.Now(), options.Value.AbandonedAfter, cancellationToken),
            result => result is AdmissionOutcome.NoQueue or AdmissionOutcome.UnknownPlace ? TransactionEnd.Rollback : TransactionEnd.Commit,
            time,
            cancellationToken);
        activity?.SetTag("boxoffice.admission_outcome", outcome.GetType().Name);

        var now = time.GetUtcNow();
        switch (outcome)
        {
            case AdmissionOutcome.Admitted(var place, var queue, var newlyClaimed):
                if (newlyClaimed)
                {
                    WaitingRoomMetrics.WaitSeconds.Record((place.ClaimedAt!.Value - place.JoinedAt).TotalSeconds);
                }

                var admission = AdmissionRules.AdmissionOf(id, buyerId, place.AdmissionExpiresAt!.Value);
                return TypedResults.Ok(new QueueStatus(id, QueueStates.Admitted, null, 0, 0, null, queue.SaleOpensAt,
                    Admission: tokens.Sign(admission), AdmissionExpiresAt: admission.ExpiresAt));
            case AdmissionOutcome.NotAdmitted(var queue):
                return TypedResults.Ok(QueueRules.StatusOf(ticket, queues.SnapshotOf(queue, now), now));
            case AdmissionOutcome.Expired(var expiredAt):
                return Problems.Of(ProblemTypes.QueueNotOpen, "Your admission has expired.",
                    $"You were admitted until {expiredAt:O}. A place in the queue is admitted once.",
                    new Dictionary<string, object?> { ["reason"] = "admission-expired", ["admissionExpiredAt"] = expiredAt });
            case AdmissionOutcome.NoQueue:
                return Problems.NotFound("waiting room");
            default:
                return Problems.Of(ProblemTypes.InvalidQueueTicket, "The queue ticket is not valid here.",
                    "The ticket names no place in this queue.", new Dictionary<string, object?> { ["reason"] = "unknown-place" });
        }
    }
}
