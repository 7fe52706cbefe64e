using Npgsql;

namespace Boxoffice.Tests;

/// <summary>How often a service ran a statement, as PostgreSQL itself counts it (pg_stat_statements, which the embedded server loads).</summary>
internal static class StatementCalls
{
    /// <summary>The calls, since the server started, of the statements in <paramref name="db"/>'s database whose normalized text is LIKE <paramref name="pattern"/>.</summary>
    public static async Task<long> CountAsync(NpgsqlDataSource db, string pattern)
    {
        await using (var extension = db.CreateCommand("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))
        {
            await extension.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        await using var command = db.CreateCommand(
            """
            SELECT coalesce(sum(s.calls), 0)::bigint
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = current_database() AND s.query LIKE $1
            """);
        command.Parameters.AddWithValue(pattern);
        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}
