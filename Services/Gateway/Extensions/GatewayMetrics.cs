using System.Diagnostics.Metrics;
using Boxoffice.Gateway.RateLimiting;

namespace Boxoffice.Gateway.Extensions;

/// <summary>The gateway's own metrics (Prometheus names: boxoffice_gateway_*); the waiting room's are in <c>WaitingRoom/WaitingRoomTelemetry</c>.</summary>
internal static class GatewayMetrics
{
    private static readonly Meter Meter = new("Boxoffice.Gateway");

    private static readonly Counter<long> RateLimitRefusals = Meter.CreateCounter<long>(
        "boxoffice.gateway.rate_limited", "{request}", "Requests refused with 429 by a rate limit, by policy (standard, strict, sign-in, queue-join).")
        .StartingAtZero("policy", RateLimitingExtensions.Standard, RateLimitingExtensions.Strict, RateLimitingExtensions.SignIn, RateLimitingExtensions.QueueJoin);

    public static void RateLimited(string policy) => RateLimitRefusals.Add(1, new KeyValuePair<string, object?>("policy", policy));
}
