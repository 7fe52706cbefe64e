namespace Boxoffice.Postgres;

/// <summary>
/// What every service whose database schema is its migrations does before it serves anything
/// (identity, whose schema is Entity Framework's and OpenIddict's, prepares its own).
/// </summary>
public static class DatabaseStart
{
    /// <summary>
    /// Applies the registered migrations (<see cref="DatabaseMigrations.MigrateDatabaseAsync"/>,
    /// docs/adr/0004-database-migrations.md), then opens the pool's warm connections
    /// (<see cref="PooledConnections.WarmDatabaseConnectionsAsync"/>), in that order: the warm-up
    /// plans a read of every table, so it needs them all to exist.
    /// </summary>
    public static async Task PrepareDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        await services.MigrateDatabaseAsync(cancellationToken);
        await services.WarmDatabaseConnectionsAsync(cancellationToken);
    }
}
