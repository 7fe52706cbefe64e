using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Model;

namespace Boxoffice.Gateway.Routing;

/// <summary>
/// Gives the request-time histogram (<c>http_server_request_duration_seconds</c>) the gateway route
/// each request took, by the route's id in configuration (<c>route="booking-hold"</c>): every proxied
/// route is one catch-all pattern to ASP.NET Core, so <c>http_route</c> alone cannot tell them apart.
/// Set before authentication and rate limiting, so refusals are counted on their route too.
/// </summary>
internal static class RouteMetrics
{
    public const string Tag = "route";

    public static IApplicationBuilder UseRouteMetrics(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (context.Features.Get<IHttpMetricsTagsFeature>() is { } metrics)
            {
                metrics.Tags.Add(new KeyValuePair<string, object?>(Tag, RouteOf(context)));
            }

            return next(context);
        });

    /// <summary>The YARP route's id, the gateway's own endpoint's name, or "none" when nothing matched (a 404).</summary>
    private static string RouteOf(HttpContext context) => context.GetEndpoint() switch
    {
        { } endpoint when endpoint.Metadata.GetMetadata<RouteModel>() is { } proxied => proxied.Config.RouteId,
        RouteEndpoint endpoint => endpoint.RoutePattern.RawText ?? "gateway",
        { } => "gateway",
        null => "none",
    };
}
