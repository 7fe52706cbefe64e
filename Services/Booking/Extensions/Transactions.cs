using Npgsql;

namespace Boxoffice.Booking;

internal static class Transactions
{
    /// <summary>
    /// Runs <paramref name="work"/> in a transaction of its own, again when PostgreSQL chose it as
    /// a deadlock victim or a serialization failure (the work saw nothing of its first try), and
    /// again, for about three seconds, while the server is unreachable or restarting (a pooled
    /// connection broken by a restart fails on its first use). A transient failure can hide a
    /// commit that happened: holds and orders carry an Idempotency-Key, which the retry replays.
    /// </summary>
    public static async Task<T> RunAsync<T>(NpgsqlDataSource db, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            NpgsqlConnection? connection = null;
            NpgsqlTransaction? transaction = null;
            try
            {
                connection = await db.OpenConnectionAsync(cancellationToken);
                transaction = await connection.BeginTransactionAsync(cancellationToken);
                return await work(connection, transaction);
            }
            catch (PostgresException exception) when (attempt < 5 && exception.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
            {
                await transaction!.RollbackAsync(CancellationToken.None);
                await Task.Delay(Random.Shared.Next(5, 20 * attempt), cancellationToken);
            }
            catch (NpgsqlException exception) when (attempt < TransientAttempts && exception.IsTransient && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(TransientPause(attempt), cancellationToken);
            }
            finally
            {
                if (transaction is not null)
                {
                    await transaction.DisposeAsync();
                }

                if (connection is not null)
                {
                    await connection.DisposeAsync();
                }
            }
        }
    }

    /// <summary>Reads with the same patience for a server that is restarting.</summary>
    public static async Task<T> ReadAsync<T>(NpgsqlDataSource db, Func<NpgsqlConnection, Task<T>> read, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await db.OpenConnectionAsync(cancellationToken);
                return await read(connection);
            }
            catch (NpgsqlException exception) when (attempt < TransientAttempts && exception.IsTransient && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(TransientPause(attempt), cancellationToken);
            }
        }
    }

    private const int TransientAttempts = 6;

    /// <summary>100, 200, 400, 800, 1,600 ms: about three seconds in all, a restart's length.</summary>
    private static TimeSpan TransientPause(int attempt) => TimeSpan.FromMilliseconds(100 << (attempt - 1));
}

internal static class Clock
{
    /// <summary>Now, at PostgreSQL's precision (microseconds), so a time answered at once equals the one read back later.</summary>
    public static DateTimeOffset Now(this TimeProvider time)
    {
        var now = time.GetUtcNow();
        return now.AddTicks(-(now.Ticks % 10));
    }
}
