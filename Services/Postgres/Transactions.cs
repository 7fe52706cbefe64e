using Npgsql;

namespace Boxoffice.Postgres;

/// <summary>What the runner does with a transaction once its work returned an outcome.</summary>
public enum TransactionEnd
{
    /// <summary>Keep what the work wrote.</summary>
    Commit,

    /// <summary>Keep nothing: the work refused (a claimed idempotency key, a lock taken, is let go).</summary>
    Rollback,

    /// <summary>Keep nothing and run the work again shortly: others held what it needed and may still let it go.</summary>
    TryAgain,
}

/// <summary>
/// The one place that opens, commits and retries a transaction. Stores write their statements in
/// the transaction they are given and return a domain outcome; the runner commits it (or rolls it
/// back, or runs it again, as the caller's <c>end</c> says of that outcome) and retries what
/// PostgreSQL itself failed:
/// <list type="bullet">
/// <item>a deadlock victim or a serialization failure, at once (the work saw nothing of its first try);</item>
/// <item>for about three seconds, a server that is unreachable or restarting (a pooled connection
/// broken by a restart fails on its first use). Such a failure can hide a commit that happened:
/// requests that must not run twice carry an idempotency key, which the retry replays.</item>
/// </list>
/// A connection on which PostgreSQL refused a statement of a run or a read forgets its prepared
/// statements before it goes back to the pool (<see cref="PooledConnections.ForgetPrepared"/>).
/// </summary>
public static class Transactions
{
    private const int DeadlockAttempts = 5;
    private const int TransientAttempts = 6;
    private const int TryAgainAttempts = 3;

    /// <summary>Runs <paramref name="work"/> in a transaction of its own and commits it.</summary>
    public static Task<T> RunAsync<T>(this NpgsqlDataSource db, Func<NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        db.RunAsync(work, static _ => TransactionEnd.Commit, TimeProvider.System, cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> in a transaction of its own and ends it as <paramref name="end"/>
    /// says of the outcome. An outcome that asks to try again is run again, a few milliseconds
    /// later on a connection taken anew, up to three times in all; the last one is returned
    /// whatever it is. Trying again does not use up the retries of PostgreSQL's own failures.
    /// </summary>
    public static Task<T> RunAsync<T>(
        this NpgsqlDataSource db, Func<NpgsqlTransaction, Task<T>> work, Func<T, TransactionEnd> end, TimeProvider time, CancellationToken cancellationToken) =>
        RunAsync(db, (_, transaction) => work(transaction!), end, inTransaction: true, time, cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/>, one batch, on a connection with no transaction open: PostgreSQL
    /// runs a batch as one implicit transaction, all or nothing, and commits it with its answer, a
    /// round trip less than BEGIN … COMMIT. The work's statements must leave nothing written for an
    /// outcome that <paramref name="end"/> does not commit: there is nothing to roll back. Retried
    /// as <see cref="RunAsync{T}(NpgsqlDataSource, Func{NpgsqlTransaction, Task{T}}, Func{T, TransactionEnd}, TimeProvider, CancellationToken)"/>
    /// retries: a batch PostgreSQL failed left nothing behind. As with a commit, a connection lost
    /// after PostgreSQL committed the batch but before its answer came hides that commit, and the
    /// retry runs the work again: work that must not run twice carries an idempotency key.
    /// </summary>
    public static Task<T> RunBatchAsync<T>(
        this NpgsqlDataSource db, Func<NpgsqlConnection, Task<T>> work, Func<T, TransactionEnd> end, TimeProvider time, CancellationToken cancellationToken) =>
        RunAsync(db, (connection, _) => work(connection), end, inTransaction: false, time, cancellationToken);

    private static async Task<T> RunAsync<T>(
        NpgsqlDataSource db, Func<NpgsqlConnection, NpgsqlTransaction?, Task<T>> work, Func<T, TransactionEnd> end, bool inTransaction, TimeProvider time, CancellationToken cancellationToken)
    {
        for (var tries = 1; ; tries++)
        {
            var (outcome, ending) = await RunOnceAsync(db, work, end, inTransaction, cancellationToken);
            if (ending != TransactionEnd.TryAgain || tries == TryAgainAttempts)
            {
                return outcome;
            }

            // After the connection went back to the pool: others may need it to finish their claims.
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 25)), time, cancellationToken);
        }
    }

    /// <summary>One run of the work, retried only for PostgreSQL's own failures. Whatever is not committed is rolled back when the transaction is disposed.</summary>
    private static async Task<(T Outcome, TransactionEnd End)> RunOnceAsync<T>(
        NpgsqlDataSource db, Func<NpgsqlConnection, NpgsqlTransaction?, Task<T>> work, Func<T, TransactionEnd> end, bool inTransaction, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            TimeSpan pause;
            NpgsqlConnection? connection = null;
            NpgsqlTransaction? transaction = null;
            var refused = false;
            try
            {
                connection = await db.OpenConnectionAsync(cancellationToken);
                transaction = inTransaction ? await connection.BeginTransactionAsync(cancellationToken) : null;
                var outcome = await work(connection, transaction);
                var ending = end(outcome);
                if (ending == TransactionEnd.Commit && transaction is not null)
                {
                    await transaction.CommitAsync(cancellationToken);
                }

                return (outcome, ending);
            }
            catch (PostgresException exception) when (attempt < DeadlockAttempts && exception.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
            {
                pause = TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 * attempt));
            }
            catch (NpgsqlException exception) when (attempt < TransientAttempts && exception.IsTransient && !cancellationToken.IsCancellationRequested)
            {
                pause = TransientPause(attempt);
            }
            catch (PostgresException exception) when (PooledConnections.MaySpoilPrepared(exception))
            {
                refused = true;
                throw;
            }
            finally
            {
                try
                {
                    if (transaction is not null)
                    {
                        await transaction.DisposeAsync();
                    }

                    // After the rollback: see PooledConnections.ForgetPrepared.
                    if (refused && connection is not null)
                    {
                        PooledConnections.ForgetPrepared(connection);
                    }
                }
                finally
                {
                    if (connection is not null)
                    {
                        await connection.DisposeAsync();
                    }
                }
            }

            // Only after the rollback: a deadlock victim waits without the locks it held.
            await Task.Delay(pause, cancellationToken);
        }
    }

    /// <summary>
    /// Whether this process is the one doing <paramref name="job"/> until the transaction ends: a
    /// transaction-scoped advisory lock, so work that must run once at a time across replicas (the
    /// outbox relay, a purge, a sweep) needs no table of its own, and a crash lets go of it.
    /// </summary>
    public static async Task<bool> TryLockAsync(this NpgsqlTransaction transaction, string job, CancellationToken cancellationToken)
    {
        await using var command = transaction.Command("SELECT pg_try_advisory_xact_lock(hashtext($1))", job);
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    /// <summary>Runs a read outside a transaction, with the same patience for a server that is restarting.</summary>
    public static async Task<T> ReadAsync<T>(this NpgsqlDataSource db, Func<NpgsqlConnection, Task<T>> read, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await db.OpenConnectionAsync(cancellationToken);
                try
                {
                    return await read(connection);
                }
                catch (PostgresException exception) when (PooledConnections.MaySpoilPrepared(exception))
                {
                    PooledConnections.ForgetPrepared(connection);
                    throw;
                }
            }
            catch (NpgsqlException exception) when (attempt < TransientAttempts && exception.IsTransient && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(TransientPause(attempt), cancellationToken);
            }
        }
    }

    /// <summary>100, 200, 400, 800, 1,600 ms: about three seconds in all, a restart's length.</summary>
    private static TimeSpan TransientPause(int attempt) => TimeSpan.FromMilliseconds(100 << (attempt - 1));
}

/// <summary>Time as PostgreSQL keeps it.</summary>
public static class PostgresClock
{
    /// <summary>Now, at PostgreSQL's precision (microseconds), so a time answered at once equals the one read back later.</summary>
    public static DateTimeOffset Now(this TimeProvider time)
    {
        var now = time.GetUtcNow();
        return now.AddTicks(-(now.Ticks % 10));
    }
}
