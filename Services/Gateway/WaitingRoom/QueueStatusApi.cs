using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Json;
using Boxoffice.Contracts.WaitingRoom;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Boxoffice.Gateway.WaitingRoom;

/// <summary>
/// Where a buyer stands in an event's queue, answered by the gateway itself from the buyer's signed
/// ticket and the queue's snapshot (docs/adr/0010-waiting-room.md): one HMAC and no I/O per poll,
/// so a crowd of waiting buyers costs the machine little. Only when a buyer's turn may have come is
/// the waiting room asked, with the buyer's own token, for the admission.
/// </summary>
internal static partial class QueueStatusApi
{
    public const string Prefix = "/api/waiting-room/events/{id:guid}";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapQueueStatus(this IEndpointRouteBuilder routes)
    {
        var queue = routes.MapGroup(Prefix)
            .RequireAuthorization(BoxofficeAuth.Policies.Buyer)
            .RequireRateLimiting(RateLimiting.RateLimitingExtensions.Standard);
        queue.MapGet("/status", GetStatus).WithHandlingTime("queue_status");
        queue.MapGet("/status/stream", StreamStatus);
        return routes;
    }

    /// <summary>One answer: where the place is, when to ask again, or the admission once it is the buyer's turn.</summary>
    private static async Task<IResult> GetStatus(Guid id, HttpContext http, WaitingRoomTokens tokens, QueueSnapshots queues, SeenBuyers seen, IHttpClientFactory clients, TimeProvider time)
    {
        var (ticket, refusal) = await TicketAsync(id, http, tokens, queues);
        if (refusal is not null)
        {
            return refusal;
        }

        var answer = await StatusAsync(ticket!, http, queues, seen, clients, time, streaming: false);
        return answer.Problem ?? TypedResults.Ok(answer.Status);
    }

    /// <summary>
    /// The same as server-sent events (<c>event: status</c>): one at once, then one whenever the
    /// state changes or the buyer's turn comes, and at least every poll interval. It ends once the
    /// buyer is admitted or the sale closed; a sold-out queue keeps it open, as places may come back.
    /// </summary>
    private static async Task StreamStatus(Guid id, HttpContext http, WaitingRoomTokens tokens, QueueSnapshots queues, SeenBuyers seen, IHttpClientFactory clients, TimeProvider time)
    {
        var (ticket, refusal) = await TicketAsync(id, http, tokens, queues);
        if (refusal is not null)
        {
            await refusal.ExecuteAsync(http);
            return;
        }

        var aborted = http.RequestAborted;
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        string? lastState = null;
        var lastSent = DateTimeOffset.MinValue;
        try
        {
            while (!aborted.IsCancellationRequested)
            {
                var changed = queues.Changed;
                var now = time.GetUtcNow();
                var due = lastState is null
                    || !queues.TryGet(id, out var queue)
                    || queue.State != lastState && !(queue.State == QueueStates.Waiting && lastState == QueueStates.Prequeue && !queue.Shuffled)
                    || ticket!.Rank <= queue.ServedThrough
                    || now - lastSent >= TimeSpan.FromSeconds(QueueSchedule.MinPollSeconds * 5);
                if (due)
                {
                    var answer = await StatusAsync(ticket!, http, queues, seen, clients, time, streaming: true);
                    if (answer.Status is not { } status)
                    {
                        break;
                    }

                    await http.Response.WriteAsync($"event: status\ndata: {JsonSerializer.Serialize(status, Json)}\n\n", aborted);
                    await http.Response.Body.FlushAsync(aborted);
                    lastState = status.State;
                    lastSent = now;
                    if (status.State is QueueStates.Admitted or QueueStates.Closed)
                    {
                        break;
                    }
                }

                await changed.WaitAsync(aborted);
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The buyer left.
        }
    }

    /// <summary>
    /// The caller's ticket for this event, or the refusal: 422 for a bad ticket, 404 for an event
    /// without a queue. A queue newer than this replica's snapshot is waited for (<see cref="QueueSnapshots.FindAsync"/>).
    /// </summary>
    private static async Task<(QueueTicket? Ticket, IResult? Refusal)> TicketAsync(Guid id, HttpContext http, WaitingRoomTokens tokens, QueueSnapshots queues)
    {
        var ticket = tokens.ReadTicket(http.Request.Headers[WaitingRoomTokens.TicketHeader].ToString());
        if (ticket is null || ticket.EventId != id || ticket.BuyerId != http.User.FindFirstValue("sub"))
        {
            var detail = ticket is null
                ? $"Send the ticket the join answered with in the {WaitingRoomTokens.TicketHeader} header, unaltered."
                : "The ticket is another event's or another buyer's.";
            return (null, Problems.Of(ProblemTypes.InvalidQueueTicket, "The queue ticket is not valid here.", detail));
        }

        if (await queues.FindAsync(id, DateTimeOffset.FromUnixTimeSeconds(ticket.JoinedAtUnix), http.RequestAborted) is null)
        {
            return (null, queues.Loaded
                ? Problems.NotFound("waiting room")
                : Problems.Of(ProblemTypes.Unavailable, "The waiting room is briefly unreachable.", "Ask again in a second."));
        }

        return (ticket, null);
    }

    private readonly record struct Answer(QueueStatus? Status, IResult? Problem);

    /// <summary>
    /// The place's status, and the buyer marked seen: a poll answered "sold out" as told so (it
    /// names no next poll, so the buyer has left the line until they ask again); an open
    /// <paramref name="streaming"/> page is still there, and hears when places come back.
    /// </summary>
    private static async Task<Answer> StatusAsync(
        QueueTicket ticket, HttpContext http, QueueSnapshots queues, SeenBuyers seen, IHttpClientFactory clients, TimeProvider time, bool streaming)
    {
        if (!queues.TryGet(ticket.EventId, out var queue))
        {
            return new Answer(null, Problems.NotFound("waiting room"));
        }

        using var activity = WaitingRoomTelemetry.Source.StartActivity("waiting-room status");
        activity?.SetTag("boxoffice.event_id", ticket.EventId);
        if (QueueSchedule.StatusOf(ticket, queue, time.GetUtcNow()) is { } status)
        {
            activity?.SetTag("boxoffice.queue_state", status.State);
            WaitingRoomTelemetry.StatusAnswered(status.State);
            Seen(status);
            return new Answer(status, null);
        }

        // The ticket's rank was offered admission: only the waiting room knows whether this place got it.
        activity?.SetTag("boxoffice.queue_state", "turn");
        var answer = await AdmissionAsync(ticket, queue, http, clients);
        WaitingRoomTelemetry.StatusAnswered(answer.Status?.State ?? "refused");
        Seen(answer.Status);
        return answer;

        // Marked once the answer is known, so the waiting room hears what the buyer was told.
        void Seen(QueueStatus? told) => seen.Mark(ticket.EventId, ticket.BuyerId, toldSoldOut: !streaming && told?.State == QueueStates.SoldOut);
    }

    /// <summary>Asks the waiting room for the buyer's admission, as the buyer (their own token and ticket).</summary>
    private static async Task<Answer> AdmissionAsync(QueueTicket ticket, QueueSnapshot queue, HttpContext http, IHttpClientFactory clients)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/events/{ticket.EventId}/admission");
        request.Headers.Authorization = AuthenticationHeaderValue.Parse(http.Request.Headers.Authorization.ToString());
        request.Headers.Add(WaitingRoomTokens.TicketHeader, http.Request.Headers[WaitingRoomTokens.TicketHeader].ToString());
        try
        {
            using var client = clients.CreateClient(QueueSnapshots.BuyerClientName);
            using var response = await client.SendAsync(request, http.RequestAborted);
            if (response.IsSuccessStatusCode)
            {
                return new Answer(await response.Content.ReadFromJsonAsync<QueueStatus>(Json, http.RequestAborted), null);
            }

            if (response.StatusCode is >= HttpStatusCode.BadRequest and < HttpStatusCode.InternalServerError)
            {
                // The waiting room's own refusal (its problem+json), passed on as it is.
                var body = await response.Content.ReadAsStringAsync(http.RequestAborted);
                return new Answer(null, Results.Content(body, "application/problem+json", statusCode: (int)response.StatusCode));
            }
        }
        catch (Exception failure) when (failure is HttpRequestException or TimeoutException or Polly.ExecutionRejectedException
            or TaskCanceledException && !http.RequestAborted.IsCancellationRequested)
        {
            // Unreachable for now (down, timed out, or its circuit open): the buyer is told to ask again shortly.
        }

        return new Answer(new QueueStatus(queue.EventId, QueueStates.Waiting, null, 0, null, QueueSchedule.MinPollSeconds * 2, queue.SaleOpensAt), null);
    }
}
