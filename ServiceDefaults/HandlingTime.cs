using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The handling time of the operations a sale's SLOs are written on (a hold, an order, a check-in,
/// a queue status): one histogram, <c>boxoffice_request_duration_seconds{operation, outcome}</c>, so
/// that alerts and dashboards read every service the same way. Timed from the handler's start to its
/// result (after binding and authorization), with the trace as exemplar.
/// </summary>
public static class HandlingTime
{
    /// <summary>The Meter of the histogram, enabled with the other <c>Boxoffice.*</c> meters.</summary>
    public const string MeterName = "Boxoffice.Handling";

    /// <summary>Bucket bounds (seconds); 0.25 is the latency SLO of holds and orders (deploy/prometheus/rules/slo.yml).</summary>
    public static readonly IReadOnlyList<double> Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<double> Duration = Meter.CreateHistogram(
        "boxoffice.request.duration", "s", "Handling time of the sale's operations (hold, order, check_in, queue_status), by outcome: ok (2xx, 3xx), refused (4xx), failed (5xx or thrown), cancelled (the caller went away).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Buckets });

    /// <summary>Times the endpoint's handler as <paramref name="operation"/>.</summary>
    public static TBuilder WithHandlingTime<TBuilder>(this TBuilder endpoint, string operation)
        where TBuilder : IEndpointConventionBuilder =>
        endpoint.AddEndpointFilter(async (context, next) =>
        {
            var started = Stopwatch.GetTimestamp();
            var outcome = "failed";
            try
            {
                var result = await next(context);
                outcome = Outcome(StatusCode(result) ?? context.HttpContext.Response.StatusCode);
                return result;
            }
            catch (OperationCanceledException) when (context.HttpContext.RequestAborted.IsCancellationRequested)
            {
                // The caller went away: neither a good answer nor our failure.
                outcome = "cancelled";
                throw;
            }
            finally
            {
                Record(operation, outcome, Stopwatch.GetElapsedTime(started));
            }
        });

    private static void Record(string operation, string outcome, TimeSpan elapsed) =>
        Duration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>ok, refused or failed: what an SLO counts as good, the caller's fault, or ours.</summary>
    public static string Outcome(int statusCode) => statusCode switch
    {
        >= 500 => "failed",
        >= 400 => "refused",
        _ => "ok",
    };

    private static int? StatusCode(object? result) => result switch
    {
        IStatusCodeHttpResult { StatusCode: int code } => code,
        INestedHttpResult nested => StatusCode(nested.Result),
        _ => null,
    };
}
