using Boxoffice.Postgres;
using Npgsql;

namespace Boxoffice.UnitTests.Postgres;

/// <summary>Every service's connections prepare the statements they repeat, unless the connection string says otherwise.</summary>
public sealed class PreparedStatementsTests
{
    [Fact]
    public void A_connection_string_without_the_setting_gets_preparation_on()
    {
        var connection = new NpgsqlConnectionStringBuilder("Host=db;Database=bookingdb;Username=booking;Password=secret");

        PreparedStatements.Apply(connection);

        Assert.Equal(PreparedStatements.PerConnection, connection.MaxAutoPrepare);
        Assert.Equal(PreparedStatements.AfterUses, connection.AutoPrepareMinUsages);
        Assert.Equal("secret", connection.Password);
    }

    [Theory]
    [InlineData("Max Auto Prepare=0", 0)]
    [InlineData("max auto prepare=0", 0)]
    [InlineData("MaxAutoPrepare=0", 0)]
    [InlineData("Max Auto Prepare=10", 10)]
    public void A_connection_string_that_sets_it_is_left_alone(string setting, int expected)
    {
        var connection = new NpgsqlConnectionStringBuilder($"Host=db;Database=bookingdb;{setting}");

        PreparedStatements.Apply(connection);

        Assert.Equal(expected, connection.MaxAutoPrepare);
    }

    [Fact]
    public void The_string_form_does_the_same_and_keeps_null_null()
    {
        var tuned = new NpgsqlConnectionStringBuilder(PreparedStatements.Apply("Host=db;Database=identitydb")!);

        Assert.Equal(PreparedStatements.PerConnection, tuned.MaxAutoPrepare);
        Assert.Equal("identitydb", tuned.Database);
        Assert.Null(PreparedStatements.Apply((string?)null));
    }
}
