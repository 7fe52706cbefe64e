using System.Data.Common;
using Npgsql;

namespace Boxoffice.Postgres;

/// <summary>
/// Every service's connections prepare the statements they run again and again (Npgsql's automatic
/// preparation): PostgreSQL then parses and plans each once per connection instead of once per
/// call. Measured with bench/identity.sh, PostgreSQL's CPU per refresh token went from 3.0 to
/// 1.75 ms. The services' SQL names its columns, so a migration that adds a column never changes
/// a prepared statement's result. See ADR 0017.
/// </summary>
public static class PreparedStatements
{
    /// <summary>Distinct statements a connection keeps prepared (least recently used ones are replaced).</summary>
    public const int PerConnection = 64;

    /// <summary>Calls of a statement on a connection before it is prepared: a statement run once is never prepared.</summary>
    public const int AfterUses = 2;

    /// <summary>Turns automatic preparation on, unless the connection string sets it (to 0 to turn it off).</summary>
    public static void Apply(NpgsqlConnectionStringBuilder connection)
    {
        // NpgsqlConnectionStringBuilder.ContainsKey answers for every keyword it knows, set or not:
        // what the connection string says is read from its text, by a plain builder.
        var given = new DbConnectionStringBuilder { ConnectionString = connection.ConnectionString };
        if (!given.ContainsKey("Max Auto Prepare") && !given.ContainsKey("MaxAutoPrepare"))
        {
            connection.MaxAutoPrepare = PerConnection;
            connection.AutoPrepareMinUsages = AfterUses;
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
