using System.Net;
using Boxoffice.Contracts;
using Boxoffice.Contracts.Booking;
using Boxoffice.Postgres;
using Boxoffice.Payments.Charging;
using Boxoffice.Payments.Provider;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace Boxoffice.Payments.Extensions;

internal static class PaymentsServiceExtensions
{
    /// <summary>Payments' own database (with its migrations, outbox and inbox), booking's order events, the provider's client, and the reconciliation sweep.</summary>
    public static IHostApplicationBuilder AddPaymentsServices(this IHostApplicationBuilder builder)
    {
        // Tokens only for the operators' endpoints (dead letters and parked outbox rows).
        builder.AddBoxofficeApi();
        builder.AddNpgsqlDataSource("paymentsdb", configureDataSourceBuilder: dataSource =>
        {
            dataSource.ConnectionStringBuilder.MaxPoolSize = builder.Configuration.GetValue("Payments:MaxDatabaseConnections", 20);
            PooledConnections.Apply(dataSource.ConnectionStringBuilder);
        });
        builder.Services.AddMigrationSeries("payments", typeof(PaymentsServiceExtensions).Assembly);
        builder.AddOutbox(EventSources.Payments);
        builder.Services.AddOptions<PaymentsOptions>().BindConfiguration("Payments").ValidateDataAnnotations().ValidateOnStart();
        builder.AddProviderClient();
        builder.AddReconciliation();

        // Charges wait on the provider: each consumer charges several orders at once (one at a
        // time per order), so a slow charge does not hold up the orders behind it. Each charge
        // holds a connection while it waits (its row is locked), so consumers × charges at once,
        // doubled for the retry topic's consumers, stays under MaxDatabaseConnections. Attempts are
        // many (hours at the longest pause): an order stops retrying by itself once it is past
        // due, but a cancelled order's refund must outlast any provider outage rather than end on
        // the dead-letter topic.
        builder.AddInboxConsumer(Topics.BookingOrders, "payments", events => events
                .On<OrderPlaced, OrderEventsHandler>(from: EventSources.Booking)
                .On<OrderCancelled, OrderEventsHandler>(from: EventSources.Booking),
            maxAttempts: builder.Configuration.GetValue("Payments:MaxAttempts", 1000),
            consumers: builder.Configuration.GetValue("Payments:Consumers", 2),
            messagesAtOnce: builder.Configuration.GetValue("Payments:ChargesAtOnce", 4));
        return builder;
    }

    /// <summary>
    /// The provider's HttpClient with a pipeline of its own instead of the standard one
    /// (<see cref="ConfigureProviderPipeline"/>).
    /// </summary>
    private static void AddProviderClient(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ProviderOptions>().BindConfiguration("Payments:Provider").ValidateDataAnnotations().ValidateOnStart();
        var options = new ProviderOptions();
        builder.Configuration.GetSection("Payments:Provider").Bind(options);
        builder.Services.AddHttpClient<ProviderClient>((services, http) =>
            {
                var settings = services.GetRequiredService<IOptions<ProviderOptions>>().Value;
                http.BaseAddress = new Uri(settings.Url.TrimEnd('/') + "/");
                http.DefaultRequestHeaders.Authorization = new("Bearer", settings.ApiKey);
                // The pipeline's total timeout governs; HttpClient's own must not cut it shorter.
                http.Timeout = Timeout.InfiniteTimeSpan;
            })
            .RemoveAllResilienceHandlers()
            .AddResilienceHandler("payment-provider", pipeline => ConfigureProviderPipeline(pipeline, options));
    }

    /// <summary>
    /// From the outside in: a circuit breaker that judges whole calls; a total timeout; retries
    /// (only of requests that carry an idempotency key, and only of failures that say nothing about
    /// the outcome); a timeout per attempt. The breaker stands outside the retries so that it opens
    /// when the provider fails calls even after they were retried (it is away), not when it fails
    /// some attempts that a retry gets through (it is flaky): counting attempts, a provider failing
    /// 30 % of them and slow on 20 % opened the circuit again and again, and every order behind it
    /// waited on the retry topic. It stands outside the total timeout too, so a call that runs out
    /// of time counts as failed.
    /// </summary>
    internal static void ConfigureProviderPipeline(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, ProviderOptions options)
    {
        pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
        {
            FailureRatio = options.BreakerFailureRatio,
            MinimumThroughput = options.BreakerMinimumThroughput,
            SamplingDuration = options.BreakerSamplingDuration,
            BreakDuration = options.BreakDuration,
            ShouldHandle = arguments => ValueTask.FromResult(IsTransient(arguments.Outcome)),
            OnOpened = _ => PaymentsMetrics.BreakerChanged("open"),
            OnHalfOpened = _ => PaymentsMetrics.BreakerChanged("half-open"),
            OnClosed = _ => PaymentsMetrics.BreakerChanged("closed"),
        });
        pipeline.AddTimeout(options.TotalTimeout);
        pipeline.AddRetry(new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = options.MaxRetries,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(100),
            ShouldHandle = arguments => ValueTask.FromResult(
                arguments.Context.GetRequestMessage()?.Headers.Contains(ProviderClient.IdempotencyHeader) == true
                && IsTransient(arguments.Outcome)),
        });
        pipeline.AddTimeout(options.AttemptTimeout);
    }

    /// <summary>A failure that says nothing about whether the provider acted: safe to repeat with the same key.</summary>
    private static bool IsTransient(Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception is HttpRequestException or Polly.Timeout.TimeoutRejectedException
        || outcome.Result is { StatusCode: >= HttpStatusCode.InternalServerError or HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests };
}

/// <summary>Payments' settings, under <c>Payments</c>.</summary>
internal sealed class PaymentsOptions
{
    /// <summary>How long an order waits on the retry topic while the provider's circuit is open.</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan RetryWhileBroken { get; set; } = TimeSpan.FromSeconds(5);
}
