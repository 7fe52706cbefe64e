using System.Data.Common;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Boxoffice.Postgres;

/// <summary>
/// How every service's pooled connections are set up, in its data source registration (identity's
/// Entity Framework connection string too):
/// <list type="bullet">
/// <item>They prepare the statements they run again and again (Npgsql's automatic preparation):
/// PostgreSQL then parses and plans each once per connection instead of once per call. Measured
/// with bench/identity.sh, PostgreSQL's CPU per refresh token went from 3.0 to 1.75 ms. The
/// services' SQL names its columns, so a migration that adds a column never changes a prepared
/// statement's result. See ADR 0017.</item>
/// <item>A connection going back to the pool is not reset. Npgsql would otherwise run seven
/// statements (<c>RESET ALL</c>, <c>UNLISTEN *</c>, <c>SELECT pg_advisory_unlock_all()</c>...)
/// with the next command on it, to undo session state, because prepared statements rule out a
/// plain <c>DISCARD ALL</c>. Our services leave none: every advisory lock is transaction-scoped,
/// nothing is SET for a session, and the outbox relay's <c>LISTEN</c> is undone before its
/// connection goes back. Those resets were about a quarter of PostgreSQL's CPU per refresh token. See
/// ADR 0019.</item>
/// <item>The pool keeps <see cref="WarmConnections"/> connections open (Npgsql's Minimum Pool
/// Size, no more than the pool's maximum), and <see cref="WarmDatabaseConnectionsAsync"/> opens them at start. A
/// connection PostgreSQL starts for a burst costs it a process, the login and its caches filled
/// anew (every table and index the first statements touch, read from the catalog), on the cores
/// the burst needs: at a flash sale's opening the new connections' start-up and their first
/// statements took about half of PostgreSQL's CPU (bench/README.md).</item>
/// </list>
/// A connection string that sets any of these itself is left alone for that setting (<c>Max Auto
/// Prepare=0</c> turns preparation off, <c>No Reset On Close=false</c> brings the reset back,
/// <c>Minimum Pool Size=0</c> opens connections only when asked): the benchmarks'
/// <c>BENCH_CONNECTION_OPTIONS</c> does that for a comparison.
/// </summary>
public static partial class PooledConnections
{
    /// <summary>Connections every pool keeps open and opens at start (<see cref="WarmDatabaseConnectionsAsync"/>).</summary>
    public const int WarmConnections = 8;

    /// <summary>Distinct statements a connection keeps prepared (least recently used ones are replaced).</summary>
    public const int PreparedPerConnection = 64;

    /// <summary>Calls of a statement on a connection before it is prepared: a statement run once is never prepared.</summary>
    public const int PreparedAfterUses = 2;

    /// <summary>
    /// Turns automatic preparation on and the reset on return off, keeps <see cref="WarmConnections"/>
    /// connections (no more than the pool's maximum: set that first) for as long as the server keeps
    /// them, each unless the connection string sets it.
    /// </summary>
    public static void Apply(NpgsqlConnectionStringBuilder connection)
    {
        // NpgsqlConnectionStringBuilder.ContainsKey answers for every keyword it knows, set or not:
        // what the connection string says is read from its text, by a plain builder.
        var given = new DbConnectionStringBuilder { ConnectionString = connection.ConnectionString };
        if (!given.ContainsKey("Max Auto Prepare") && !given.ContainsKey("MaxAutoPrepare"))
        {
            connection.MaxAutoPrepare = PreparedPerConnection;
            connection.AutoPrepareMinUsages = PreparedAfterUses;
        }

        if (!given.ContainsKey("No Reset On Close") && !given.ContainsKey("NoResetOnClose"))
        {
            connection.NoResetOnClose = true;
        }

        if (!given.ContainsKey("Minimum Pool Size") && !given.ContainsKey("MinPoolSize"))
        {
            connection.MinPoolSize = Math.Min(WarmConnections, connection.MaxPoolSize);
        }

        // Npgsql closes a connection an hour old as it comes back (its default Connection Lifetime),
        // and never opens one to make up the minimum: the warm connections would be gone an hour
        // after start. They live as long as the server keeps them instead; each keeps at most
        // PreparedPerConnection statements, so one grows no further for living long.
        if (!given.ContainsKey("Connection Lifetime") && !given.ContainsKey("ConnectionLifetime") && !given.ContainsKey("Load Balance Timeout"))
        {
            connection.ConnectionLifetime = 0;
        }
    }

    /// <summary>
    /// Opens the pool's Minimum Pool Size connections at once and has each plan a read of every
    /// table of the database's own schemas that its login may read (<c>SELECT NULL … LIMIT 0</c>: the
    /// table and its indexes are then in that connection's caches, and no row is read). The pool then keeps them. Call it once
    /// the migrations have run; a failure is logged and the service starts all the same, its
    /// connections then opened as they are needed.
    /// </summary>
    public static async Task WarmDatabaseConnectionsAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        var dataSource = services.GetRequiredService<NpgsqlDataSource>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(PooledConnections));
        var count = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).MinPoolSize;
        if (count == 0)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var connections = new List<NpgsqlConnection>(count);
        try
        {
            // All open at once: one opened, used and given back would only be handed out again.
            var opening = Enumerable.Range(0, count).Select(_ => dataSource.OpenConnectionAsync(cancellationToken).AsTask()).ToArray();
            try
            {
                await Task.WhenAll(opening);
            }
            finally
            {
                // Those that did open go back to the pool below, whatever became of the others.
                connections.AddRange(opening.Where(open => open.IsCompletedSuccessfully).Select(open => open.Result));
            }

            var tables = await TablesAsync(connections[0], cancellationToken);
            await Task.WhenAll(connections.Select(connection => TouchAsync(connection, tables, cancellationToken)));
            LogWarmed(logger, count, tables.Count, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            LogNotWarmed(logger, exception, count);
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private static async Task<List<string>> TablesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var read = connection.Command(
            """
            SELECT format('SELECT NULL FROM %I.%I LIMIT 0', n.nspname, c.relname)
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't'
               AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
               AND has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT')
             ORDER BY 1
            """);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        var tables = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            tables.Add(reader.GetString(0));
        }

        return tables;
    }

    private static async Task TouchAsync(NpgsqlConnection connection, List<string> tables, CancellationToken cancellationToken)
    {
        if (tables.Count == 0)
        {
            return;
        }

        await using var batch = connection.CreateBatch();
        foreach (var table in tables)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(table));
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Opened {Connections} database connections at start, each with {Tables} tables read, in {ElapsedMs:F0} ms")]
    private static partial void LogWarmed(ILogger logger, int connections, int tables, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not open and prepare {Connections} database connections at start; connections open as they are needed")]
    private static partial void LogNotWarmed(ILogger logger, Exception exception, int connections);

    /// <summary>
    /// Whether PostgreSQL's refusal may have come as the statement's parameters were bound, which
    /// spoils a statement being prepared (see <see cref="ForgetPrepared"/>). The refusals that come
    /// only as a statement runs (a deadlock, a serialization failure, a cancelled statement, a
    /// broken constraint) do not, and are common enough under a crowd not to pay for; any other
    /// refusal is taken to.
    /// </summary>
    public static bool MaySpoilPrepared(PostgresException refusal) =>
        refusal.SqlState is not (PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.QueryCanceled)
        && !refusal.SqlState.StartsWith("23", StringComparison.Ordinal);

    /// <summary>
    /// Forgets every statement prepared on <paramref name="connection"/> after PostgreSQL refused a
    /// statement on it (<see cref="MaySpoilPrepared"/>), before the connection goes back to the pool.
    /// Npgsql's bookkeeping of automatic preparation goes wrong when a statement fails while it is
    /// being prepared (on its second call) with an error raised as its parameters are bound: text
    /// holding NUL, or a parameter that makes planning fail. The next call of that statement on that
    /// connection then fails with "Received unexpected backend message DataRow", an innocent
    /// request's 500 (npgsql/npgsql#6391, open for 10.0.3). Forgetting costs one <c>DEALLOCATE
    /// ALL</c> and preparing the connection's statements again, only after such a refusal. Call it
    /// once no transaction is open on the connection; a connection that is broken or busy is left
    /// alone, and nothing it throws escapes.
    /// </summary>
    public static void ForgetPrepared(NpgsqlConnection connection)
    {
        if (connection.FullState != System.Data.ConnectionState.Open)
        {
            return;
        }

        try
        {
            // Npgsql offers no asynchronous form; one short round trip, on a refusal's path only.
            connection.UnprepareAll();
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException or NotSupportedException)
        {
            // A connection that fails here is broken, and the pool drops it.
        }
    }

    /// <summary>The same, on a connection string (null stays null, for the caller's own error).</summary>
    public static string? Apply(string? connectionString)
    {
        if (connectionString is null)
        {
            return null;
        }

        var connection = new NpgsqlConnectionStringBuilder(connectionString);
        Apply(connection);
        return connection.ConnectionString;
    }
}
