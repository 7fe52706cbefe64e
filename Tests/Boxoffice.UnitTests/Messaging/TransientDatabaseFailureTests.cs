using System.Net.Sockets;
using System.Text.Json;
using Boxoffice.Messaging;
using Npgsql;

namespace Boxoffice.UnitTests.Messaging;

/// <summary>
/// <see cref="TransientDatabaseFailure"/>: which handler failures are the database being away (the
/// message waits in place, no attempt charged) and which are the message's (an attempt, then the
/// retry and dead-letter topics).
/// </summary>
public sealed class TransientDatabaseFailureTests
{
    [Theory]
    [InlineData("08000")] // connection_exception
    [InlineData("08003")] // connection_does_not_exist
    [InlineData("08006")] // connection_failure
    [InlineData("08001")] // sqlclient_unable_to_establish_sqlconnection
    [InlineData("57P01")] // admin_shutdown
    [InlineData("57P02")] // crash_shutdown
    [InlineData("57P03")] // cannot_connect_now
    [InlineData("53300")] // too_many_connections
    [InlineData("40001")] // serialization_failure
    [InlineData("40P01")] // deadlock_detected
    public void A_server_going_away_or_out_of_connections_is_transient(string sqlState)
    {
        Assert.True(TransientDatabaseFailure.IsCause(Postgres(sqlState)));
    }

    [Theory]
    [InlineData("23505")] // unique_violation
    [InlineData("23503")] // foreign_key_violation
    [InlineData("22P02")] // invalid_text_representation
    [InlineData("42P01")] // undefined_table
    [InlineData("42601")] // syntax_error
    [InlineData("57014")] // query_canceled (a statement timeout: the statement, not the server)
    public void A_statement_the_server_refuses_is_the_messages_failure(string sqlState)
    {
        Assert.False(TransientDatabaseFailure.IsCause(Postgres(sqlState)));
    }

    [Fact]
    public void A_broken_connection_or_an_exhausted_pool_is_transient()
    {
        Assert.True(TransientDatabaseFailure.IsCause(new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused))));
        Assert.True(TransientDatabaseFailure.IsCause(new NpgsqlException("Exception while reading from stream", new IOException("reset"))));
        Assert.True(TransientDatabaseFailure.IsCause(new NpgsqlException("The connection pool has been exhausted", new TimeoutException())));
    }

    [Fact]
    public void An_npgsql_failure_that_says_nothing_about_the_connection_is_not()
    {
        Assert.False(TransientDatabaseFailure.IsCause(new NpgsqlException("Something else")));
    }

    [Fact]
    public void The_cause_is_found_however_deep_it_is_wrapped()
    {
        var restart = Postgres("57P01");

        Assert.True(TransientDatabaseFailure.IsCause(new RetryLaterException("later", inner: restart)));
        Assert.True(TransientDatabaseFailure.IsCause(new InvalidOperationException("outer", new InvalidOperationException("middle", restart))));
        Assert.True(TransientDatabaseFailure.IsCause(new AggregateException(new InvalidOperationException("other"), restart)));
    }

    [Fact]
    public void Failures_of_the_message_or_the_handler_are_not_transient()
    {
        Assert.False(TransientDatabaseFailure.IsCause(new JsonException("unreadable")));
        Assert.False(TransientDatabaseFailure.IsCause(new PoisonMessageException("no id")));
        Assert.False(TransientDatabaseFailure.IsCause(new RetryLaterException("provider away")));
        Assert.False(TransientDatabaseFailure.IsCause(new InvalidOperationException("bug", new ArgumentException("inner"))));
        // A timeout that is not Npgsql's (an HTTP call) is not the database's.
        Assert.False(TransientDatabaseFailure.IsCause(new TimeoutException()));
    }

    [Fact]
    public void The_pause_starts_at_250_ms_and_doubles_up_to_5_s()
    {
        var pauses = Enumerable.Range(1, 8).Select(wait => TransientDatabaseFailure.Pause(wait).TotalMilliseconds);

        Assert.Equal([250, 500, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000], pauses);
        Assert.Equal(TimeSpan.FromSeconds(5), TransientDatabaseFailure.Pause(int.MaxValue));
    }

    private static PostgresException Postgres(string sqlState) => new("message", "FATAL", "FATAL", sqlState);

    [Fact]
    public void A_timeout_or_deadlock_is_busy_and_waits_free_only_a_while_but_a_server_away_is_not()
    {
        Assert.True(TransientDatabaseFailure.IsBusy(new NpgsqlException("Exception while reading from stream", new TimeoutException())));
        Assert.True(TransientDatabaseFailure.IsBusy(new InvalidOperationException("outer", Postgres(PostgresErrorCodes.DeadlockDetected))));
        Assert.False(TransientDatabaseFailure.IsBusy(new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused))));
        Assert.False(TransientDatabaseFailure.IsBusy(Postgres(PostgresErrorCodes.AdminShutdown)));
    }
}
