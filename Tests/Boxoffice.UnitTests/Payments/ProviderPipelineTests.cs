using System.Collections.Concurrent;
using System.Net;
using Boxoffice.Payments.Extensions;
using Boxoffice.Payments.Provider;
using Microsoft.Extensions.DependencyInjection;

namespace Boxoffice.UnitTests.Payments;

/// <summary>
/// The provider's resilience pipeline as Payments builds it: a provider that fails some attempts
/// is ridden out by the retries without opening the circuit; a provider that fails every attempt
/// opens it, and calls then fail at once without reaching it.
/// </summary>
public sealed class ProviderPipelineTests
{
    [Fact]
    public async Task A_provider_failing_two_attempts_in_three_is_retried_through_and_never_opens_the_circuit()
    {
        // Each charge is refused twice (503) and made at the third attempt: two thirds of all
        // attempts fail, more than the breaker's ratio, yet every call succeeds.
        var provider = new ScriptedProvider(attempt => attempt % 3 == 0 ? HttpStatusCode.Created : HttpStatusCode.ServiceUnavailable);
        using var services = Client(provider, out var http);

        var calls = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => ChargeAsync(http, Guid.NewGuid())));

        Assert.All(calls, status => Assert.Equal(HttpStatusCode.Created, status));
        Assert.Equal(36, provider.Attempts);
    }

    [Fact]
    public async Task A_provider_that_fails_every_attempt_opens_the_circuit_and_is_left_alone_while_it_is_open()
    {
        var provider = new ScriptedProvider(_ => HttpStatusCode.ServiceUnavailable);
        var options = new ProviderOptions();
        using var services = Client(provider, out var http, options);

        // Enough failed calls (each after all its retries) to reach the breaker's minimum throughput.
        var failed = await Task.WhenAll(Enumerable.Range(0, options.BreakerMinimumThroughput).Select(_ => ChargeAsync(http, Guid.NewGuid())));
        Assert.All(failed, status => Assert.Equal(HttpStatusCode.ServiceUnavailable, status));
        Assert.Equal(options.BreakerMinimumThroughput * (options.MaxRetries + 1), provider.Attempts);

        var attemptsBefore = provider.Attempts;
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => ChargeAsync(http, Guid.NewGuid()));
        Assert.Equal(BrokenCircuit, refused.GetType());
        Assert.Equal(attemptsBefore, provider.Attempts);
    }

    [Fact]
    public async Task A_request_without_an_idempotency_key_is_tried_once()
    {
        var provider = new ScriptedProvider(_ => HttpStatusCode.ServiceUnavailable);
        using var services = Client(provider, out var http);

        using var lookup = await http.GetAsync($"charges/{Guid.NewGuid()}", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, lookup.StatusCode);
        Assert.Equal(1, provider.Attempts);
    }

    /// <summary>Polly 8's (this project also sees Polly 7's type of the same name).</summary>
    private static readonly Type BrokenCircuit = typeof(Polly.ResiliencePipeline).Assembly.GetType("Polly.CircuitBreaker.BrokenCircuitException", throwOnError: true)!;

    private static async Task<HttpStatusCode> ChargeAsync(HttpClient http, Guid orderId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "charges") { Content = new StringContent("{}") };
        request.Headers.Add(ProviderClient.IdempotencyHeader, orderId.ToString());
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    private static ServiceProvider Client(ScriptedProvider provider, out HttpClient http, ProviderOptions? options = null)
    {
        var services = new ServiceCollection();
        services.AddHttpClient("provider", client => client.BaseAddress = new Uri("http://provider.test/"))
            .ConfigurePrimaryHttpMessageHandler(() => provider)
            .AddResilienceHandler("payment-provider", pipeline => PaymentsServiceExtensions.ConfigureProviderPipeline(pipeline, options ?? new ProviderOptions()));
        var built = services.BuildServiceProvider();
        http = built.GetRequiredService<IHttpClientFactory>().CreateClient("provider");
        return built;
    }

    /// <summary>Answers each attempt of a request (counted per idempotency key, or per request without one) with the status the script gives for its number, from 1.</summary>
    private sealed class ScriptedProvider(Func<int, HttpStatusCode> script) : HttpMessageHandler
    {
        private readonly ConcurrentDictionary<string, int> _attemptsByKey = new();
        private int _attempts;

        public int Attempts => Volatile.Read(ref _attempts);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _attempts);
            var key = request.Headers.TryGetValues(ProviderClient.IdempotencyHeader, out var keys) ? keys.Single() : Guid.NewGuid().ToString();
            var attempt = _attemptsByKey.AddOrUpdate(key, 1, (_, count) => count + 1);
            return Task.FromResult(new HttpResponseMessage(script(attempt)));
        }
    }
}
