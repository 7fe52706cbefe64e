using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Boxoffice.Gateway.Security;

/// <summary>
/// Every request gets an <c>X-Request-Id</c>: the caller's, if it is a sane token, or a new one.
/// It is returned to the caller, sent on to the service, written on every log line of the request
/// and tagged on its trace. Headers that only the platform may set are removed from the incoming
/// request, so a client cannot forge them.
/// </summary>
internal static partial class RequestCorrelation
{
    public const string Header = "X-Request-Id";

    /// <summary>Prefixes of headers set only inside the platform.</summary>
    private static readonly string[] InternalPrefixes = ["X-Boxoffice-", "X-Internal-"];

    public static IApplicationBuilder UseRequestCorrelation(this IApplicationBuilder app)
    {
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Boxoffice.Gateway.Requests");
        return app.Use(async (context, next) =>
        {
            foreach (var name in context.Request.Headers.Keys.Where(IsInternal).ToList())
            {
                context.Request.Headers.Remove(name);
            }

            var requestId = context.Request.Headers[Header].ToString();
            if (!ValidId().IsMatch(requestId))
            {
                requestId = Activity.Current?.TraceId.ToString() ?? Guid.NewGuid().ToString("N");
            }

            context.Request.Headers[Header] = requestId;
            context.TraceIdentifier = requestId;
            context.Response.Headers[Header] = requestId;
            Activity.Current?.SetTag("http.request.header.x_request_id", requestId);

            using (logger.BeginScope(new Dictionary<string, object> { ["RequestId"] = requestId }))
            {
                await next(context);
            }
        });
    }

    private static bool IsInternal(string name) =>
        InternalPrefixes.Any(prefix => name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex ValidId();
}
