using Npgsql;

namespace Boxoffice.Messaging;

/// <summary>
/// Tells a handler failure caused by the database being away (restarting, unreachable, out of
/// connections) from one caused by the message. The first is not the message's fault: a consumer
/// waits in place and tries again without charging an attempt, so an outage longer than all the
/// attempts' pauses dead-letters nothing. Anything else is an attempt, as before.
/// </summary>
internal static class TransientDatabaseFailure
{
    private const int MaxDepth = 16;
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(5);

    /// <summary>How many waits a "busy" failure (<see cref="IsBusy"/>) gets free before it counts as an attempt: about 45 s.</summary>
    public const int MaxBusyWaits = 12;

    /// <summary>Whether <paramref name="exception"/>, or an exception it wraps (at any depth), is a transient database failure.</summary>
    public static bool IsCause(Exception exception) => IsCause(exception, 0);

    /// <summary>
    /// Whether the failure may be the message's own doing although the database is there: a
    /// timeout (a statement, or waiting for a pooled connection), a serialization failure or a
    /// deadlock. Those wait free only <see cref="MaxBusyWaits"/> times; a server that is away
    /// (refused, reset, shutting down, starting) waits for as long as it takes.
    /// </summary>
    public static bool IsBusy(Exception exception)
    {
        for (var (current, depth) = (exception, 0); current is not null && depth < MaxDepth; current = current.InnerException, depth++)
        {
            if (current is TimeoutException
                || current is PostgresException { SqlState: PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.QueryCanceled })
            {
                return true;
            }

            if (current is AggregateException aggregate)
            {
                return aggregate.InnerExceptions.Any(IsBusy);
            }
        }

        return false;
    }

    /// <summary>
    /// A transient failure of PostgreSQL or of the way to it: what Npgsql calls transient (network
    /// errors, timeouts, a pool with no free connection, the server's resource and lock errors),
    /// and, whatever Npgsql says, the SQLSTATEs of <see cref="IsTransientState"/>.
    /// </summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.IsTransient || IsTransientState(postgres.SqlState),
        NpgsqlException npgsql => npgsql.IsTransient,
        _ => false,
    };

    /// <summary>
    /// Connection exceptions (class 08), the server shutting down or starting (57P01 admin, 57P02
    /// crash, 57P03 cannot connect now), too many connections (53300), and a serialization failure
    /// or deadlock (40001, 40P01: running the transaction again succeeds).
    /// </summary>
    public static bool IsTransientState(string? sqlState) =>
        sqlState is not null
        && (sqlState.StartsWith("08", StringComparison.Ordinal)
            || sqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
                or PostgresErrorCodes.TooManyConnections or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected);

    /// <summary>The pause before trying again after the <paramref name="wait"/>th failure in a row: 250 ms, doubling, at most 5 s.</summary>
    public static TimeSpan Pause(int wait)
    {
        var pause = FirstPause * Math.Pow(2, Math.Clamp(wait - 1, 0, 10));
        return pause < MaxPause ? pause : MaxPause;
    }

    private static bool IsCause(Exception? exception, int depth)
    {
        for (; exception is not null && depth < MaxDepth; exception = exception.InnerException, depth++)
        {
            if (IsTransient(exception))
            {
                return true;
            }

            if (exception is AggregateException aggregate)
            {
                return aggregate.InnerExceptions.Any(inner => IsCause(inner, depth + 1));
            }
        }

        return false;
    }
}
