using System.Text.Json;
using Boxoffice.Contracts.WaitingRoom;
using Boxoffice.Storefront.Api;
using Microsoft.AspNetCore.Authentication;

namespace Boxoffice.Storefront.Actions;

/// <summary>
/// The waiting-room page's live updates: the gateway's status stream (Server-Sent Events) for the
/// buyer's place, relayed. The browser cannot send the queue ticket or the access token itself
/// (they stay in the HttpOnly cookie and the server-side session), so the storefront opens the
/// stream as the buyer and passes each status on with what the page shows (state, position, people
/// ahead, the wait), never the admission: the page reloads on a change of state, and the server
/// keeps the admission then.
/// </summary>
internal static class QueueStream
{
    public static IEndpointRouteBuilder MapQueueStream(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/events/{id:guid}/queue/stream", RelayAsync);
        return routes;
    }

    /// <summary>What the page's script sees of a status.</summary>
    private sealed record Shown(string State, long? Position, long? Ahead, int? EstimatedWaitSeconds, int? PollAfterSeconds);

    private static async Task RelayAsync(Guid id, HttpContext context, BoxofficeApi api, QueuePasses passes)
    {
        var aborted = context.RequestAborted;
        // 204 (not a redirect to sign in) tells EventSource not to reconnect; the page shows why.
        if (context.User.Identity?.IsAuthenticated != true || passes.Read(context, id) is not { } pass
            || await context.GetTokenAsync("access_token") is not { } token)
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        try
        {
            using var upstream = await api.OpenQueueStreamAsync(id, token, pass.Ticket, aborted);
            if (!upstream.IsSuccessStatusCode)
            {
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                return;
            }

            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            context.Response.Headers["X-Accel-Buffering"] = "no";
            using var events = new StreamReader(await upstream.Content.ReadAsStreamAsync(aborted));
            while (await events.ReadLineAsync(aborted) is { } line)
            {
                if (!line.StartsWith("data:", StringComparison.Ordinal)
                    || JsonSerializer.Deserialize<QueueStatus>(line["data:".Length..], BoxofficeApi.Json) is not { } status)
                {
                    continue;
                }

                var shown = new Shown(status.State, status.Position, status.Ahead, status.EstimatedWaitSeconds, status.PollAfterSeconds);
                await context.Response.WriteAsync($"event: status\ndata: {JsonSerializer.Serialize(shown, BoxofficeApi.Json)}\n\n", aborted);
                await context.Response.Body.FlushAsync(aborted);
            }
        }
        catch (Exception failure) when (failure is OperationCanceledException or HttpRequestException or IOException or JsonException or Polly.ExecutionRejectedException)
        {
            // The buyer left, or the gateway went away: the page reloads after a pause and asks afresh.
        }
    }
}
