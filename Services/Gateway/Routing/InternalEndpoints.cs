using System.Text.RegularExpressions;

namespace Boxoffice.Gateway.Routing;

/// <summary>
/// Services' probes and metrics (<c>/health</c>, <c>/alive</c>, <c>/metrics</c>) are for the
/// orchestrator and Prometheus inside the deployment, not for the internet: a request for them
/// under a service's public prefix is answered 404 here and never proxied.
/// </summary>
internal static partial class InternalEndpoints
{
    public static IApplicationBuilder UseInternalEndpointsHidden(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (IsInternal(context.Request.Path))
            {
                await TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not Found").ExecuteAsync(context);
                return;
            }

            await next(context);
        });

    internal static bool IsInternal(PathString path) => path.HasValue && InternalPath().IsMatch(path.Value);

    // /api/{service}/health, /api/{service}/alive, /api/{service}/metrics and anything below them.
    [GeneratedRegex("^/api/[^/]+/(health|alive|metrics)(/|$)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex InternalPath();
}
