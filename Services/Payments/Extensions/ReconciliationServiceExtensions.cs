using Boxoffice.Payments.Reconciliation;

namespace Boxoffice.Payments.Extensions;

internal static class ReconciliationServiceExtensions
{
    /// <summary>The sweep that refunds the provider's charges no order kept (<c>Payments:Reconciliation</c>, validated at start).</summary>
    public static IHostApplicationBuilder AddReconciliation(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ReconciliationOptions>()
            .BindConfiguration(ReconciliationOptions.Section)
            .ValidateDataAnnotations()
            .Validate(ReconciliationOptions.IsConsistent, $"{ReconciliationOptions.Section}:UnknownAfter is at least SettleAfter.")
            .ValidateOnStart();
        builder.Services.AddHostedService<ReconciliationSweep>();
        return builder;
    }
}
