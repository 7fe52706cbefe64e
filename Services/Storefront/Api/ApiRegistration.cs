using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Boxoffice.Storefront.Api;

internal static class ApiRegistration
{
    public static IServiceCollection AddBoxofficeApi(this IServiceCollection services)
    {
        foreach (var name in new[] { BoxofficeApi.Catalog, BoxofficeApi.Booking, BoxofficeApi.WaitingRoom, BoxofficeApi.Gateway })
        {
            // Found by service discovery; the standard resilience handler comes from the service defaults.
            services.AddHttpClient(name, client => client.BaseAddress = new Uri($"https+http://{name}"));
        }

        // Holds, orders and joins carry an idempotency key or are idempotent, but a retry after a
        // slow first try is the API's to allow, not the client's to assume: no retries of posts.
        foreach (var name in new[] { BoxofficeApi.Gateway, BoxofficeApi.WaitingRoom })
        {
            services.AddOptions<Microsoft.Extensions.Http.Resilience.HttpStandardResilienceOptions>(name + "-standard")
                .Configure(options => options.Retry.DisableForUnsafeHttpMethods());
        }

        services.AddScoped<BoxofficeApi>();
        services.AddSingleton<QueuePasses>();
        services.AddSingleton<TicketCodes>();
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }
}
