using Npgsql;
using NpgsqlTypes;

namespace Boxoffice.Postgres;

/// <summary>
/// The one way our code writes a statement: SQL with positional parameters (<c>$1</c>, <c>$2</c>…)
/// and the values in order; a null value is SQL NULL. A statement runs in a caller's transaction,
/// on a connection for a read outside one, or as one statement of a batch (one round trip).
/// </summary>
public static class Sql
{
    /// <summary>A command in <paramref name="transaction"/>.</summary>
    public static NpgsqlCommand Command(this NpgsqlTransaction transaction, string sql, params object?[] parameters)
    {
        var command = new NpgsqlCommand(sql, transaction.Connection, transaction);
        AddParameters(command.Parameters, parameters);
        return command;
    }

    /// <summary>A command on <paramref name="connection"/>, outside any transaction (a read).</summary>
    public static NpgsqlCommand Command(this NpgsqlConnection connection, string sql, params object?[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        AddParameters(command.Parameters, parameters);
        return command;
    }

    /// <summary>Several statements sent in one round trip, in <paramref name="transaction"/>.</summary>
    public static NpgsqlBatch Batch(this NpgsqlTransaction transaction, params IEnumerable<NpgsqlBatchCommand> statements) =>
        NewBatch(new NpgsqlBatch(transaction.Connection, transaction), statements);

    /// <summary>Several statements sent in one round trip on <paramref name="connection"/>, outside any transaction.</summary>
    public static NpgsqlBatch Batch(this NpgsqlConnection connection, params IEnumerable<NpgsqlBatchCommand> statements) =>
        NewBatch(new NpgsqlBatch(connection), statements);

    /// <summary>One statement of a <see cref="Batch(NpgsqlTransaction, IEnumerable{NpgsqlBatchCommand})"/>.</summary>
    public static NpgsqlBatchCommand Statement(string sql, params object?[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        AddParameters(command.Parameters, parameters);
        return command;
    }

    /// <summary>
    /// A value with its PostgreSQL type named: for a parameter that may be null where the statement
    /// does not tell its type (<c>$2 IS NULL OR …</c>).
    /// </summary>
    public static NpgsqlParameter Typed(object? value, NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };

    private static NpgsqlBatch NewBatch(NpgsqlBatch batch, IEnumerable<NpgsqlBatchCommand> statements)
    {
        foreach (var statement in statements)
        {
            batch.BatchCommands.Add(statement);
        }

        return batch;
    }

    private static void AddParameters(NpgsqlParameterCollection collection, object?[] parameters)
    {
        // A lone string[] (or other reference-type array) would arrive here as the parameters
        // themselves, one per element, instead of as one array parameter.
        if (parameters.GetType() != typeof(object[]))
        {
            throw new ArgumentException($"Pass an array as one parameter: (object){parameters.GetType().Name}.", nameof(parameters));
        }

        foreach (var parameter in parameters)
        {
            collection.Add(parameter as NpgsqlParameter ?? new NpgsqlParameter { Value = parameter ?? DBNull.Value });
        }
    }
}
