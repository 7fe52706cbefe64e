using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Boxoffice.Postgres;

/// <summary>
/// A numbered series of SQL scripts embedded in an assembly under <c>migrations/NNNN_name.sql</c>
/// (<c>LogicalName</c> in the project file). A service has one series for its own tables; the
/// outbox brings another. Scripts are applied once each, in number order, and never edited after
/// they shipped: a change is a new script.
/// </summary>
public sealed partial record MigrationSeries(string Name, Assembly Assembly, string Prefix = "migrations/")
{
    internal IReadOnlyList<(int Version, string Name, string Sql)> Scripts()
    {
        var scripts = new List<(int, string, string)>();
        foreach (var resource in Assembly.GetManifestResourceNames().Where(name => name.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            var fileName = resource[Prefix.Length..];
            var match = ScriptName().Match(fileName);
            if (!match.Success)
            {
                throw new InvalidOperationException($"Migration '{resource}' in {Assembly.GetName().Name} is not named NNNN_name.sql.");
            }

            using var stream = Assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            scripts.Add((int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), fileName, reader.ReadToEnd()));
        }

        var duplicate = scripts.GroupBy(script => script.Item1).FirstOrDefault(group => group.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Two migrations of '{Name}' have number {duplicate.Key}.");
        }

        return [.. scripts.OrderBy(script => script.Item1)];
    }

    [GeneratedRegex(@"^(\d{4})_[a-z0-9_\-]+\.sql$")]
    private static partial Regex ScriptName();
}

/// <summary>
/// Applies every registered <see cref="MigrationSeries"/> at start, before the service serves or
/// relays anything. The whole run is one transaction under an advisory lock: replicas starting
/// together take turns, the first applies what is missing and the others find nothing to do; a
/// script that fails leaves the database as it was (PostgreSQL DDL is transactional).
/// </summary>
public static partial class DatabaseMigrations
{
    public static IServiceCollection AddMigrationSeries(this IServiceCollection services, string name, Assembly assembly, string prefix = "migrations/")
    {
        services.AddSingleton(new MigrationSeries(name, assembly, prefix));
        return services;
    }

    public static async Task MigrateDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        var dataSource = services.GetRequiredService<NpgsqlDataSource>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DatabaseMigrations));
        var series = services.GetServices<MigrationSeries>().ToList();

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAndPrepareAsync(transaction, cancellationToken);
        var applied = await AppliedAsync(transaction, cancellationToken);
        foreach (var one in series)
        {
            foreach (var (version, name, sql) in one.Scripts().Where(script => !applied.Contains((one.Name, script.Version))))
            {
                await ApplyAsync(transaction, one.Name, version, name, sql, cancellationToken);
                LogApplied(logger, one.Name, name);
            }
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Waits for a replica that is migrating (no timeout: a long script may run long), then makes sure the record table exists.</summary>
    private static async Task LockAndPrepareAsync(NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var prepare = transaction.Command(
            """
            SELECT pg_advisory_xact_lock(hashtext('boxoffice-migrations'));
            CREATE TABLE IF NOT EXISTS schema_migrations (
                series      text        NOT NULL,
                version     integer     NOT NULL,
                name        text        NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (series, version)
            );
            """);
        prepare.CommandTimeout = 0;
        await prepare.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<HashSet<(string Series, int Version)>> AppliedAsync(NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var applied = new HashSet<(string, int)>();
        await using var read = transaction.Command("SELECT series, version FROM schema_migrations");
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            applied.Add((reader.GetString(0), reader.GetInt32(1)));
        }

        return applied;
    }

    private static async Task ApplyAsync(NpgsqlTransaction transaction, string series, int version, string name, string sql, CancellationToken cancellationToken)
    {
        await using (var apply = transaction.Command(sql))
        {
            apply.CommandTimeout = 0;
            await apply.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var record = transaction.Command("INSERT INTO schema_migrations (series, version, name) VALUES ($1, $2, $3)", series, version, name);
        await record.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Series}/{Migration}")]
    private static partial void LogApplied(ILogger logger, string series, string migration);
}
