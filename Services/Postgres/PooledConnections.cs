using System.Data.Common;
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
/// </list>
/// A connection string that sets either itself is left alone for that setting (<c>Max Auto
/// Prepare=0</c> turns preparation off, <c>No Reset On Close=false</c> brings the reset back): the
/// benchmarks' <c>BENCH_CONNECTION_OPTIONS</c> does that for a comparison.
/// </summary>
public static class PooledConnections
{
    /// <summary>Distinct statements a connection keeps prepared (least recently used ones are replaced).</summary>
    public const int PreparedPerConnection = 64;

    /// <summary>Calls of a statement on a connection before it is prepared: a statement run once is never prepared.</summary>
    public const int PreparedAfterUses = 2;

    /// <summary>Turns automatic preparation on and the reset on return off, each unless the connection string sets it.</summary>
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
    }

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
