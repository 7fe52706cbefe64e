using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// One call gives a service what every Boxoffice service has: OpenTelemetry (OTLP when configured,
/// Prometheus always), health endpoints, service discovery, the standard resilience handler on
/// every HttpClient, a request body limit, RFC 9457 problem details and structured logs.
/// </summary>
public static class ServiceDefaultsExtensions
{
    public const string HealthPath = "/health";
    public const string AlivePath = "/alive";
    public const string MetricsPath = "/metrics";

    /// <summary>Tag of the checks that only say the process runs (the <c>/alive</c> probe).</summary>
    public const string LiveTag = "live";

    /// <summary>A service's request body limit when its configuration sets none: 1 MiB, the gateway's default.</summary>
    public const long DefaultMaxRequestBodyBytes = 1024 * 1024;

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureLogging();
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });

        // Behind the gateway, which limits each route's body, a service keeps a limit of its own
        // (Kestrel's default is 30 MB): a caller inside the network, or a gateway route set too
        // wide, gets a 413 here too. Kestrel:Limits:MaxRequestBodySize changes it per service.
        builder.Services.Configure<KestrelServerOptions>(kestrel =>
            kestrel.Limits.MaxRequestBodySize = builder.Configuration.GetValue("Kestrel:Limits:MaxRequestBodySize", DefaultMaxRequestBodyBytes));

        // X-Forwarded-* believed only from the proxies configured (ForwardedHeadersTrust).
        builder.Services.AddForwardedHeadersTrust(builder.Configuration);

        // Problem details for every error answer; never an exception's text or stack to a client.
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        builder.Services.AddExceptionHandler<TransientFailureExceptionHandler>();
        builder.Services.AddExceptionHandler<UnstorableTextExceptionHandler>();
        // In every environment (the default is Development only), so that the handler above names
        // the field of a malformed body in production too, not a bare 400.
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Extensions.Remove("exception");
            // A body over the service's own limit is answered as the gateway answers one over a route's.
            if (context.ProblemDetails.Status == StatusCodes.Status413PayloadTooLarge)
            {
                context.ProblemDetails.Type = ProblemTypes.BodyTooLarge.Uri;
            }

            context.ProblemDetails.Instance ??= context.HttpContext.Request.Path;
            context.ProblemDetails.Extensions["traceId"] = System.Diagnostics.Activity.Current?.TraceId.ToString()
                ?? context.HttpContext.TraceIdentifier;
        });

        return builder;
    }

    private static void ConfigureLogging<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        // JSON lines outside Development, with trace and span ids on every line (scopes carry them).
        if (!builder.Environment.IsDevelopment())
        {
            builder.Logging.AddJsonConsole(options =>
            {
                options.IncludeScopes = true;
                options.UseUtcTimestamp = true;
                options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            });
        }

        builder.Logging.Configure(options => options.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);

        // Polly logs every attempt of every resilient HTTP call at Information, a failed one with
        // its stack trace: warnings and errors only, unless configuration asks for more.
        if (builder.Configuration["Logging:LogLevel:Polly"] is null)
        {
            builder.Logging.AddFilter("Polly", LogLevel.Warning);
        }
    }

    private static void ConfigureOpenTelemetry<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        var telemetry = builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter("Boxoffice.*")
                // A histogram's measurement made inside a recorded trace keeps that trace as its
                // exemplar (exported over OTLP, shown by the dashboard): from a slow bucket to the request.
                .SetExemplarFilter(ExemplarFilterType.TraceBased)
                .AddPrometheusExporter())
            .WithTracing(tracing => tracing
                // Every trace by default (development, tests); a busy deployment records a share
                // (Telemetry:TraceSamplingRatio, 0..1) and downstream services follow the caller's
                // decision, so a trace is whole or absent. Context still propagates when not recorded.
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(
                    Math.Clamp(builder.Configuration.GetValue("Telemetry:TraceSamplingRatio", 1.0), 0.0, 1.0))))
                .AddSource(builder.Environment.ApplicationName)
                .AddSource("Boxoffice.*")
                .AddAspNetCoreInstrumentation(options =>
                    // Probes and scrapes would drown real traces.
                    options.Filter = context => !IsProbe(context.Request.Path))
                .AddHttpClientInstrumentation());

        builder.Services.AddHostedService<ZeroedCounters>();

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.UseOtlpExporter();
        }
    }

    /// <summary>Whether a request is the platform's: a probe (<c>/health</c>, <c>/alive</c>) or a scrape (<c>/metrics</c>).</summary>
    public static bool IsProbe(PathString path) =>
        path.StartsWithSegments(HealthPath) || path.StartsWithSegments(AlivePath) || path.StartsWithSegments(MetricsPath);

    private static void AddDefaultHealthChecks<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder =>
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);

    /// <summary>
    /// <c>/health</c>: ready, every check including the service's own dependencies.
    /// <c>/alive</c>: live, the process answers. <c>/metrics</c>: Prometheus scrape.
    /// Mapped in every environment: deployments probe them.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        // Unhandled exceptions and bare status codes become problem+json answers.
        app.UseExceptionHandler();
        app.UseStatusCodePages();

        // Probes and scrapes carry no credentials, even where everything else requires them.
        app.MapHealthChecks(HealthPath).AllowAnonymous();
        app.MapHealthChecks(AlivePath, new HealthCheckOptions { Predicate = check => check.Tags.Contains(LiveTag) }).AllowAnonymous();
        app.MapPrometheusScrapingEndpoint(MetricsPath).AllowAnonymous();
        return app;
    }
}
