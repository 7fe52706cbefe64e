using Npgsql;

namespace Boxoffice.Booking;

internal static class Transactions
{
    /// <summary>
    /// Runs <paramref name="work"/> in a transaction of its own, again when PostgreSQL chose it as
    /// a deadlock victim or a serialization failure (the work saw nothing of its first try).
    /// </summary>
    public static async Task<T> RunAsync<T>(NpgsqlDataSource db, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var connection = await db.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            try
            {
                return await work(connection, transaction);
            }
            catch (PostgresException exception) when (attempt < 5 && exception.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
            {
                await transaction.RollbackAsync(CancellationToken.None);
                await Task.Delay(Random.Shared.Next(5, 20 * attempt), cancellationToken);
            }
        }
    }
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
