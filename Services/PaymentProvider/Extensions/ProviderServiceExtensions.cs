using Boxoffice.Postgres;
using Boxoffice.PaymentProvider.Admin;
using Boxoffice.PaymentProvider.Charges;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Boxoffice.PaymentProvider.Extensions;

internal static class ProviderServiceExtensions
{
    /// <summary>The provider's own database with its migrations, its API key, the chaos it is told to cause, and the sweep that completes orphaned charges.</summary>
    public static IHostApplicationBuilder AddPaymentProviderServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("providerdb", configureDataSourceBuilder: dataSource => PooledConnections.Apply(dataSource.ConnectionStringBuilder));
        builder.Services.AddMigrationSeries("provider", typeof(ProviderServiceExtensions).Assembly);

        builder.Services.AddOptions<ProviderOptions>()
            .BindConfiguration(ProviderOptions.Section)
            .Validate(options => options.Chaos is null || ChaosRules.Check(options.Chaos).Count == 0,
                $"{ProviderOptions.Section}:Chaos: every rate is between 0 and 1, every delay between 0 and {ChaosRules.MaxDelayMs} ms.")
            .Validate(options => !string.Equals(options.ApiKey, options.AdminKey, StringComparison.Ordinal),
                $"{ProviderOptions.Section}:AdminKey must differ from {ProviderOptions.Section}:ApiKey.")
            .ValidateOnStart();

        builder.Services.AddSingleton<IValidateOptions<ProviderOptions>, ProviderOptionsValidator>();
        builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, ProviderJson.Default));

        builder.Services.AddSingleton<ChaosState>();
        builder.Services.AddHostedService<ChargeCompletionSweep>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddValidation();
        return builder;
    }
}
