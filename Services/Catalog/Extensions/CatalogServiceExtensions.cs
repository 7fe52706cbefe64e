using Npgsql;

namespace Boxoffice.Catalog.Extensions;

internal static class CatalogServiceExtensions
{
    /// <summary>The catalog's own database, Redis and Kafka, each with its health check.</summary>
    public static IHostApplicationBuilder AddCatalogServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("catalogdb");
        builder.AddRedisClient("redis");
        builder.AddKafkaProducer();
        // Defence in depth: the gateway checked the token, and so does the catalog.
        builder.AddBoxofficeAuthentication();
        builder.Services.AddValidation();
        return builder;
    }

    /// <summary>
    /// Creates the catalog's tables if they are missing. Several replicas may start at once, so
    /// the work runs under a transaction-scoped advisory lock.
    /// </summary>
    public static async Task EnsureCatalogSchemaAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        var dataSource = services.GetRequiredService<NpgsqlDataSource>();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            """
            SELECT pg_advisory_xact_lock(hashtext('catalog-schema'));
            CREATE TABLE IF NOT EXISTS events (
                id          uuid        PRIMARY KEY,
                name        text        NOT NULL,
                city        text        NOT NULL,
                starts_at   timestamptz NOT NULL,
                status      text        NOT NULL,
                created_at  timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX IF NOT EXISTS events_listed ON events (starts_at) WHERE status IN ('published', 'on-sale');
            ALTER TABLE events ADD COLUMN IF NOT EXISTS organizer_id text;
            CREATE INDEX IF NOT EXISTS events_by_organizer ON events (organizer_id, starts_at);
            """,
            connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
