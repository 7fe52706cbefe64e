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

        services.AddScoped<BoxofficeApi>();
        services.AddSingleton<QueuePasses>();
        services.AddSingleton<TicketCodes>();
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }
}
