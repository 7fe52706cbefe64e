using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

public static class BoxofficeRedisExtensions
{
    /// <summary>The AppHost's Redis resource, shared by every service.</summary>
    private const string ConnectionName = "redis";

    /// <summary>
    /// The shared Redis connection (<see cref="IConnectionMultiplexer"/>). Every service uses Redis
    /// only to be faster (caches, counters, rate-limit buckets) and carries on without it
    /// (<see cref="RedisFailures.IsRedisUnavailable"/>), so its absence must neither make a service
    /// unready nor slow it down:
    /// <list type="bullet">
    /// <item>no health check: a Redis outage must not take every replica out of the load balancer,
    /// turning lost speed (or, at the gateway, lost rate limiting) into an outage;</item>
    /// <item>fail fast: with Redis unreachable a command errors at once, instead of waiting in
    /// StackExchange.Redis's backlog for its timeout;</item>
    /// <item>connect when the service starts, not in the first request that needs Redis
    /// (<see cref="ResolveAtStartExtensions.ResolveAtStart{TService}"/>).</item>
    /// </list>
    /// </summary>
    public static TBuilder AddBoxofficeRedis<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.AddRedisClient(ConnectionName, settings => settings.DisableHealthChecks = true,
            options => options.BacklogPolicy = BacklogPolicy.FailFast);
        builder.Services.ResolveAtStart<IConnectionMultiplexer>();
        return builder;
    }
}
