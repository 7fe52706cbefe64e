using Boxoffice.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace Boxoffice.UnitTests.Postgres;

/// <summary>The one way a statement's values become parameters: in order, null as SQL NULL, an array as one value.</summary>
public sealed class SqlTests
{
    [Fact]
    public void Values_become_positional_parameters_in_order_and_null_is_sql_null()
    {
        using var connection = new NpgsqlConnection();
        using var command = connection.Command("SELECT $1, $2, $3", 7, "seven", null);

        Assert.Equal([7, "seven", DBNull.Value], command.Parameters.Select(parameter => parameter.Value));
    }

    [Fact]
    public void An_array_passed_as_a_value_is_one_parameter()
    {
        var ids = new[] { Guid.NewGuid(), Guid.NewGuid() };

        var statement = Sql.Statement("UPDATE units SET hold_id = NULL WHERE hold_id = ANY($1)", ids);

        Assert.Same(ids, Assert.Single(statement.Parameters).Value);
    }

    [Fact]
    public void A_lone_string_array_is_refused_rather_than_spread_into_several_parameters()
    {
        using var connection = new NpgsqlConnection();
        string[] labels = ["A", "B"];

        Assert.Throws<ArgumentException>(() => connection.Command("SELECT $1", labels));
        using var command = connection.Command("SELECT $1", (object)labels);
        Assert.Same(labels, Assert.Single(command.Parameters).Value);
    }

    [Fact]
    public void A_typed_value_keeps_its_type_when_it_is_null()
    {
        var statement = Sql.Statement("SELECT $1::text IS NULL", Sql.Typed(null, NpgsqlDbType.Text));

        var parameter = Assert.Single(statement.Parameters);
        Assert.Equal(NpgsqlDbType.Text, parameter.NpgsqlDbType);
        Assert.Equal(DBNull.Value, parameter.Value);
    }
}
