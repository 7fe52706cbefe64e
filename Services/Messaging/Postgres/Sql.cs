using Npgsql;

namespace Boxoffice.Messaging.Postgres;

/// <summary>Statements with positional parameters (<c>$1</c>, <c>$2</c>…) in a caller's transaction, as the services' stores write them.</summary>
public static class Sql
{
    /// <summary>A command in <paramref name="transaction"/>; a null parameter is SQL NULL.</summary>
    public static NpgsqlCommand Command(this NpgsqlTransaction transaction, string sql, params object?[] parameters)
    {
        var command = new NpgsqlCommand(sql, transaction.Connection, transaction);
        AddParameters(command.Parameters, parameters);
        return command;
    }

    /// <summary>One statement of an <see cref="NpgsqlBatch"/> (several statements, one round trip).</summary>
    public static NpgsqlBatchCommand Batch(string sql, params object?[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        AddParameters(command.Parameters, parameters);
        return command;
    }

    private static void AddParameters(NpgsqlParameterCollection collection, object?[] parameters)
    {
        foreach (var parameter in parameters)
        {
            collection.Add(new NpgsqlParameter { Value = parameter ?? DBNull.Value });
        }
    }
}
