using Boxoffice.Storefront.Api;
using Microsoft.AspNetCore.Authentication;

namespace Boxoffice.Storefront.Actions;

/// <summary>
/// The waiting-room page's live updates: the gateway's status stream (Server-Sent Events) for the
/// buyer's place, relayed as it comes. The browser cannot send the queue ticket or the access token
/// itself (they stay in the HttpOnly cookies and the server-side session), so the storefront opens
/// the stream as the buyer and passes the events on.
/// </summary>
internal static class QueueStream
{
    public static IEndpointRouteBuilder MapQueueStream(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/events/{id:guid}/queue/stream", RelayAsync).RequireAuthorization();
        return routes;
    }

    private static async Task RelayAsync(Guid id, HttpContext context, BoxofficeApi api, QueuePasses passes)
    {
        var aborted = context.RequestAborted;
        if (passes.Read(context, id) is not { } pass || await context.GetTokenAsync("access_token") is not { } token)
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        try
        {
            using var upstream = await api.OpenQueueStreamAsync(id, token, pass.Ticket, aborted);
            if (!upstream.IsSuccessStatusCode)
            {
                // 204 tells EventSource not to reconnect; the page's own refresh shows the refusal.
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                return;
            }

            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            context.Response.Headers["X-Accel-Buffering"] = "no";
            await using var events = await upstream.Content.ReadAsStreamAsync(aborted);
            var buffer = new byte[4096];
            int read;
            while ((read = await events.ReadAsync(buffer, aborted)) > 0)
            {
                await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), aborted);
                await context.Response.Body.FlushAsync(aborted);
            }
        }
        catch (Exception failure) when (failure is OperationCanceledException or HttpRequestException or IOException or Polly.ExecutionRejectedException)
        {
            // The buyer left, or the gateway went away: EventSource reconnects by itself, or the page refreshes.
        }
    }
}
