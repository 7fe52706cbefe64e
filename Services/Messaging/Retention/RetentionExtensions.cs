using Boxoffice.Messaging.Inbox;
using Boxoffice.Messaging.Retention;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

public static class RetentionExtensions
{
    /// <summary>
    /// Adds the retention purge on the service's <c>NpgsqlDataSource</c> (settings under
    /// <c>Messaging:Retention</c>), with the inbox's rule, which deletes only where the service
    /// keeps an inbox. Idempotent: <c>AddOutbox</c> calls it, and so may a service that consumes
    /// through the inbox without an outbox.
    /// </summary>
    public static IHostApplicationBuilder AddMessagingRetention(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RetentionOptions>()
            .BindConfiguration(RetentionOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddHostedService<RetentionService>();
        builder.Services.AddRetentionRule<InboxRetention>();
        return builder;
    }

    /// <summary>Adds a table of the service's own to the retention purge (once per rule type).</summary>
    public static IServiceCollection AddRetentionRule<TRule>(this IServiceCollection services)
        where TRule : class, IRetentionRule
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRetentionRule, TRule>());
        return services;
    }
}
