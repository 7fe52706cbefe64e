using Boxoffice.Catalog.Caching;
using Boxoffice.Contracts;
using Boxoffice.Postgres;
using Confluent.Kafka;
using Microsoft.Extensions.Caching.Distributed;

namespace Boxoffice.Catalog.Extensions;

internal static class CatalogServiceExtensions
{
    /// <summary>The catalog's own database (with its migrations and outbox), Redis as the shared cache level, Kafka, and token validation.</summary>
    public static IHostApplicationBuilder AddCatalogServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("catalogdb", configureDataSourceBuilder: dataSource => PooledConnections.Apply(dataSource.ConnectionStringBuilder));
        builder.Services.AddMigrationSeries("catalog", typeof(CatalogServiceExtensions).Assembly);
        builder.AddOutbox(EventSources.Catalog);
        // Redis only makes reads faster (the cache's shared level and its fill lease).
        builder.AddBoxofficeRedis();

        // Defence in depth: the gateway checked the token, and so does the catalog.
        builder.AddBoxofficeApi();
        // Here, not in AddBoxofficeApi: the validation generator sees only this project's request types.
        builder.Services.AddValidation();

        builder.AddCatalogCache();
        builder.AddBoxofficeOpenApi("Boxoffice catalog", "Events, venues and seat maps. Public reads are anonymous; organizer routes need the catalog.write scope.", "/api/catalog");
        return builder;
    }

    private static void AddCatalogCache(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CatalogCacheOptions>().BindConfiguration("Catalog:Cache").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<OrganizerQuotaOptions>().BindConfiguration(OrganizerQuotaOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<IDistributedCache, RedisDistributedCache>();
        builder.Services.AddHybridCache(options => options.MaximumPayloadBytes = 8 * 1024 * 1024)
            .AddSerializer<CachedDocument, CachedDocumentSerializer>();
        builder.Services.AddSingleton<FillLease>();
        builder.Services.AddSingleton<CatalogCache>();

        // A group per process: every replica sees every catalog event, from now on.
        var group = $"catalog-cache-{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";
        builder.AddKafkaConsumer<CacheInvalidationHandler>(
            Topics.CatalogEvents, group, configure: config => config.AutoOffsetReset = AutoOffsetReset.Latest);
    }
}
