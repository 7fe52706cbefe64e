using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Microsoft.Extensions.Hosting;

public static class ResolveAtStartExtensions
{
    /// <summary>
    /// Creates a lazily built singleton when the service starts, on a thread of its own, instead of
    /// in the first request that needs it. A Redis multiplexer connects synchronously when it is
    /// first resolved: resolved by a flash crowd's first requests, every one of them waits on that
    /// connect while the thread pool starves, and the whole service stalls for seconds (found by
    /// the flash-sale harness). Start-up does not wait: a server that is away stays the client's
    /// problem to reconnect to.
    /// </summary>
    public static IServiceCollection ResolveAtStart<TService>(this IServiceCollection services)
        where TService : notnull
    {
        services.AddHostedService(provider => new Resolver<TService>(provider));
        return services;
    }

    private sealed class Resolver<TService>(IServiceProvider provider) : IHostedService
        where TService : notnull
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _ = Task.Run(() => provider.GetRequiredService<TService>(), CancellationToken.None);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
