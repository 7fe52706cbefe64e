using Boxoffice.Messaging.Outbox;
using Boxoffice.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

public static class OutboxExtensions
{
    /// <summary>
    /// Adds the transactional outbox on the service's <c>NpgsqlDataSource</c>: the
    /// <see cref="OutboxWriter"/>, its table (a migration series applied with the service's own),
    /// the relay to Kafka, the count of parked rows, and the retention purge that deletes
    /// published rows after <c>Messaging:Retention:Outbox</c>. Settings under <c>Messaging:Outbox</c>.
    /// </summary>
    public static IHostApplicationBuilder AddOutbox(this IHostApplicationBuilder builder, string source)
    {
        builder.AddKafkaProducer();
        builder.Services.AddOptions<OutboxOptions>()
            .BindConfiguration("Messaging:Outbox")
            .Configure(options => options.Source = source)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddMigrationSeries("outbox", typeof(OutboxWriter).Assembly, "outbox-migrations/");
        builder.Services.AddSingleton<OutboxWriter>();
        builder.Services.AddHostedService<OutboxRelay>();
        builder.Services.AddHostedService<ParkedRowsGauge>();
        builder.AddMessagingRetention();
        builder.Services.AddRetentionRule<OutboxRetention>();
        return builder;
    }
}
