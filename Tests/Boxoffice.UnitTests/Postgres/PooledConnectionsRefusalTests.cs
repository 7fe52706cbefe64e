using Boxoffice.Postgres;
using Npgsql;

namespace Boxoffice.UnitTests.Postgres;

/// <summary>
/// <see cref="PooledConnections.MaySpoilPrepared"/>: which refusals make the runner forget a
/// connection's prepared statements. Those that come only as a statement runs never do; anything
/// else, a refusal as the parameters are bound above all, does.
/// </summary>
public sealed class PooledConnectionsRefusalTests
{
    [Theory]
    [InlineData("22021")] // character_not_in_repertoire: text holding NUL, refused as it binds
    [InlineData("22012")] // division_by_zero: a parameter folded into the plan
    [InlineData("22003")] // numeric_value_out_of_range
    [InlineData("42883")] // undefined_function
    [InlineData("25P02")] // in_failed_sql_transaction
    public void A_refusal_that_may_come_as_parameters_are_bound_spoils_the_statement(string sqlState)
    {
        Assert.True(PooledConnections.MaySpoilPrepared(Refusal(sqlState)));
    }

    [Theory]
    [InlineData("40P01")] // deadlock_detected
    [InlineData("40001")] // serialization_failure
    [InlineData("57014")] // query_canceled
    [InlineData("23505")] // unique_violation
    [InlineData("23503")] // foreign_key_violation
    public void A_refusal_that_comes_only_as_the_statement_runs_does_not(string sqlState)
    {
        Assert.False(PooledConnections.MaySpoilPrepared(Refusal(sqlState)));
    }

    private static PostgresException Refusal(string sqlState) => new("message", "ERROR", "ERROR", sqlState);
}
