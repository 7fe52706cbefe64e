using System.Security.Claims;
using Boxoffice.Contracts.WaitingRoom;
using Yarp.ReverseProxy.Model;

namespace Boxoffice.Gateway.WaitingRoom;

/// <summary>
/// The gateway's check of admissions (docs/adr/0010-waiting-room.md), on the routes whose
/// configuration names it in <c>Metadata.Admission</c>:
/// <list type="bullet">
/// <item><c>event</c> (holds: the event is the route's <c>id</c>): for an event with a waiting room,
/// the buyer's own unexpired admission to it is required;</item>
/// <item><c>if-present</c> (orders: the event is the hold's, which only booking knows): an admission
/// that is sent must be valid and the buyer's; booking requires it for an event with a waiting room.</item>
/// </list>
/// A refusal is 403 <c>admission-required</c> with <c>queue</c> and <c>reason</c>, and nothing is
/// proxied. Booking checks again (defence in depth, and the only check while the gateway has no snapshot).
/// </summary>
internal static class AdmissionEnforcement
{
    public const string MetadataKey = "Admission";

    public static IReverseProxyApplicationBuilder UseAdmissionCheck(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.Use(async (context, next) =>
        {
            var route = context.GetReverseProxyFeature().Route.Config;
            if (route.Metadata?.TryGetValue(MetadataKey, out var mode) == true
                && Refusal(context, mode, context.RequestServices.GetRequiredService<WaitingRoomTokens>(),
                    context.RequestServices.GetRequiredService<QueueSnapshots>(), context.RequestServices.GetRequiredService<TimeProvider>()) is { } refusal)
            {
                await refusal.ExecuteAsync(context);
                return;
            }

            await next();
        });
        return proxy;
    }

    private static IResult? Refusal(HttpContext context, string mode, WaitingRoomTokens tokens, QueueSnapshots queues, TimeProvider time)
    {
        var buyerId = context.User.FindFirstValue("sub") ?? string.Empty;
        var token = context.Request.Headers[WaitingRoomTokens.AdmissionHeader].ToString();
        var now = time.GetUtcNow();
        switch (mode)
        {
            case "event" when Guid.TryParse(context.Request.RouteValues["id"]?.ToString(), out var eventId) && queues.TryGet(eventId, out _):
            {
                var check = tokens.CheckAdmission(token, eventId, buyerId, now);
                return check == AdmissionCheck.Valid ? null : Refuse(check, eventId);
            }

            case "if-present" when token.Length > 0 && tokens.ReadAdmission(token) is var admission:
            {
                // The event is unknown here, so it is the admission's own: what remains is whose it is and whether it is still valid.
                var check = admission is null ? AdmissionCheck.Invalid : tokens.CheckAdmission(token, admission.EventId, buyerId, now);
                return check == AdmissionCheck.Valid ? null : Refuse(check, admission?.EventId);
            }

            default:
                return null;
        }
    }

    private static IResult Refuse(AdmissionCheck check, Guid? eventId)
    {
        WaitingRoomTelemetry.AdmissionRefused(check.Reason());
        var extensions = new Dictionary<string, object?> { ["reason"] = check.Reason() };
        if (eventId is { } id)
        {
            extensions["queue"] = AdmissionRefusal.QueuePath(id);
        }

        return Problems.Of(ProblemTypes.AdmissionRequired, "An admission from the waiting room is needed.", check.Detail(), extensions);
    }
}
