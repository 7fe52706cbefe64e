using Boxoffice.Postgres;
using Npgsql;

namespace Boxoffice.UnitTests.Postgres;

/// <summary>Every service's connections prepare the statements they repeat and are not reset on return to the pool, unless the connection string says otherwise.</summary>
public sealed class PooledConnectionsTests
{
    [Fact]
    public void A_connection_string_without_the_settings_gets_preparation_on_and_no_reset()
    {
        var connection = new NpgsqlConnectionStringBuilder("Host=db;Database=bookingdb;Username=booking;Password=secret");

        PooledConnections.Apply(connection);

        Assert.Equal(PooledConnections.PreparedPerConnection, connection.MaxAutoPrepare);
        Assert.Equal(PooledConnections.PreparedAfterUses, connection.AutoPrepareMinUsages);
        Assert.True(connection.NoResetOnClose);
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

        PooledConnections.Apply(connection);

        Assert.Equal(expected, connection.MaxAutoPrepare);
        Assert.True(connection.NoResetOnClose);
    }

    [Theory]
    [InlineData("No Reset On Close=false")]
    [InlineData("no reset on close=false")]
    [InlineData("NoResetOnClose=false")]
    public void A_connection_string_that_asks_for_the_reset_keeps_it(string setting)
    {
        var connection = new NpgsqlConnectionStringBuilder($"Host=db;Database=bookingdb;{setting}");

        PooledConnections.Apply(connection);

        Assert.False(connection.NoResetOnClose);
        Assert.Equal(PooledConnections.PreparedPerConnection, connection.MaxAutoPrepare);
    }

    [Fact]
    public void The_string_form_does_the_same_and_keeps_null_null()
    {
        var tuned = new NpgsqlConnectionStringBuilder(PooledConnections.Apply("Host=db;Database=identitydb")!);

        Assert.Equal(PooledConnections.PreparedPerConnection, tuned.MaxAutoPrepare);
        Assert.True(tuned.NoResetOnClose);
        Assert.Equal("identitydb", tuned.Database);
        Assert.Null(PooledConnections.Apply((string?)null));
    }

    [Theory]
    [InlineData("", PooledConnections.WarmConnections)]
    [InlineData("Maximum Pool Size=5", 5)]
    [InlineData("Minimum Pool Size=0", 0)]
    [InlineData("minimum pool size=2", 2)]
    [InlineData("MinPoolSize=12", 12)]
    public void The_pool_keeps_its_warm_connections_unless_the_connection_string_says(string setting, int expected)
    {
        var connection = new NpgsqlConnectionStringBuilder($"Host=db;Database=bookingdb;{setting}");

        PooledConnections.Apply(connection);

        Assert.Equal(expected, connection.MinPoolSize);
    }

    [Fact]
    public void The_warm_connections_live_as_long_as_the_server_keeps_them_unless_the_connection_string_says()
    {
        var tuned = new NpgsqlConnectionStringBuilder(PooledConnections.Apply("Host=db;Database=identitydb")!);
        var given = new NpgsqlConnectionStringBuilder("Host=db;Database=identitydb;Connection Lifetime=600");

        PooledConnections.Apply(given);

        Assert.Equal(PooledConnections.WarmConnections, tuned.MinPoolSize);
        Assert.Equal(0, tuned.ConnectionLifetime);
        Assert.Equal(600, given.ConnectionLifetime);
    }
}
