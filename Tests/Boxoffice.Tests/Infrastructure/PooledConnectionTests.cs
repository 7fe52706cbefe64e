using Boxoffice.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Boxoffice.Tests.Infrastructure;

/// <summary>
/// Pooled connections as every service sets them up (<see cref="PooledConnections"/>: statements
/// prepared on their second call) stay sound after PostgreSQL refuses a statement as it binds its
/// parameters. Npgsql's bookkeeping of that statement goes wrong when the refusal comes on the call
/// that prepares it: before the runner forgot the connection's prepared statements after a failure,
/// the next innocent call of the same statement on that connection failed with "Received
/// unexpected backend message DataRow" (CI saw it as a 500 on a hold for named seats).
/// </summary>
[Collection<RunningApp>]
public sealed class PooledConnectionTests(BoxofficeApp boxoffice)
{
    // One connection, so every call below meets the statement the refused call left behind.
    private async Task<NpgsqlDataSource> OneConnectionAsync()
    {
        var connection = new NpgsqlConnectionStringBuilder(await boxoffice.ConnectionStringAsync("bookingdb")) { MaxPoolSize = 1 };
        PooledConnections.Apply(connection);
        return NpgsqlDataSource.Create(connection);
    }

    [Fact]
    public async Task A_transaction_refused_while_its_statement_is_being_prepared_leaves_the_connection_sound()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var db = await OneConnectionAsync();
        var statement = $"SELECT length($1) + 0 * {Random.Shared.Next()}";

        Task<int> LengthAsync(string text) => db.RunAsync(async transaction =>
        {
            await using var command = transaction.Command(statement, text);
            await using var reader = await command.ExecuteReaderAsync(ct);
            Assert.True(await reader.ReadAsync(ct));
            return reader.GetInt32(0);
        }, ct);

        Assert.Equal(5, await LengthAsync("first"));
        var refused = await Assert.ThrowsAsync<PostgresException>(() => LengthAsync("NUL\0here"));
        Assert.Equal(PostgresErrorCodes.CharacterNotInRepertoire, refused.SqlState);

        // The statement's third and fourth calls, prepared now, on the same connection.
        Assert.Equal(6, await LengthAsync("honest"));
        Assert.Equal(5, await LengthAsync("again"));
    }

    [Fact]
    public async Task A_read_refused_while_its_statement_is_being_prepared_leaves_the_connection_sound()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var db = await OneConnectionAsync();
        var statement = $"SELECT count(*)::int + 0 * {Random.Shared.Next()} FROM unnest($1::text[]) AS t(value) WHERE value <> ''";

        Task<int> CountAsync(params string[] values) => db.ReadAsync(async connection =>
        {
            await using var command = connection.Command(statement, (object)values);
            return (int)(await command.ExecuteScalarAsync(ct))!;
        }, ct);

        Assert.Equal(2, await CountAsync("a", "b"));
        await Assert.ThrowsAsync<PostgresException>(() => CountAsync("a", "b\0"));
        Assert.Equal(1, await CountAsync("c"));
        Assert.Equal(3, await CountAsync("d", "e", "f"));
    }

    [Theory]
    [InlineData("", PooledConnections.WarmConnections)]
    [InlineData("Maximum Pool Size=3", 3)]
    [InlineData("Minimum Pool Size=0", 0)]
    public async Task A_pool_opens_its_warm_connections_at_start_and_keeps_them(string setting, int expected)
    {
        var ct = TestContext.Current.CancellationToken;
        var name = $"warm-{Guid.NewGuid():N}";
        var connection = new NpgsqlConnectionStringBuilder($"{await boxoffice.ConnectionStringAsync("bookingdb")};{setting}") { ApplicationName = name };
        PooledConnections.Apply(connection);
        await using var db = NpgsqlDataSource.Create(connection);
        var warnings = new WarningsLog();
        await using var services = new ServiceCollection().AddLogging(logging => logging.AddProvider(warnings)).AddSingleton(db).BuildServiceProvider();

        await services.WarmDatabaseConnectionsAsync(ct);

        // Every table was read too: a failed pass only logs a warning.
        Assert.Empty(warnings.Lines);

        // Given back to the pool, they stay open: idle at the server, under the pool's name.
        await using var observer = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("bookingdb"));
        await using var count = observer.CreateCommand("SELECT count(*)::int FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle'");
        count.Parameters.AddWithValue(name);
        Assert.Equal(expected, (int)(await count.ExecuteScalarAsync(ct))!);
    }

    /// <summary>The warnings and errors logged, as text.</summary>
    private sealed class WarningsLog : ILoggerProvider, ILogger
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                Lines.Enqueue($"{formatter(state, exception)} {exception}");
            }
        }

        public void Dispose()
        {
        }
    }
}
