using Boxoffice.Contracts.WaitingRoom;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Boxoffice.Booking;

/// <summary>
/// The admission a hold or order request carries (<c>Boxoffice-Admission</c>), to be checked by
/// the store that reads the event, and only when that event sells through a waiting room
/// (docs/adr/0010-waiting-room.md). The gateway checked it already; this is the check that holds
/// when the gateway could not (no snapshot yet, or an order, whose event only booking knows).
/// </summary>
internal sealed record PresentedAdmission(string? Token, WaitingRoomTokens Tokens)
{
    public AdmissionCheck Check(Guid eventId, string buyerId, DateTimeOffset now) => Tokens.CheckAdmission(Token, eventId, buyerId, now);
}

/// <summary>How an Api file reads the admission header and answers a refused one.</summary>
internal static class Admissions
{
    /// <summary>The request's admission; several values of the header are one token that is not valid.</summary>
    public static PresentedAdmission Read(HttpRequest request, WaitingRoomTokens tokens) =>
        new(request.Headers.TryGetValue(WaitingRoomTokens.AdmissionHeader, out var values) ? values.ToString() : null, tokens);

    /// <summary>403 <c>admission-required</c>, with where to join the event's queue and what was wrong.</summary>
    public static ProblemHttpResult Refused(AdmissionCheck check, Guid eventId) =>
        Problems.Of(ProblemTypes.AdmissionRequired, "An admission from the waiting room is needed.", check.Detail(),
            new Dictionary<string, object?> { ["queue"] = AdmissionRefusal.QueuePath(eventId), ["reason"] = check.Reason() });
}
