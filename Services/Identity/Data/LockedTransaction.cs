using Microsoft.EntityFrameworkCore;

namespace Boxoffice.Identity.Data;

internal static class LockedTransaction
{
    /// <summary>
    /// Runs <paramref name="work"/> in one transaction holding a transaction-scoped advisory lock, so
    /// replicas starting together take turns. The connection retries transient failures, so the whole
    /// unit is retried through the execution strategy, on a clean change tracker each time.
    /// </summary>
    public static Task RunLockedAsync(this IdentityDb db, string lockName, Func<CancellationToken, Task> work, CancellationToken cancellationToken) =>
        db.RunLockedAsync(lockName, async token =>
        {
            await work(token);
            return true;
        }, cancellationToken);

    /// <summary>The same, answering what <paramref name="work"/> found once its transaction has committed.</summary>
    public static Task<T> RunLockedAsync<T>(this IdentityDb db, string lockName, Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken) =>
        db.Database.CreateExecutionStrategy().ExecuteAsync(async token =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(token);
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtext({lockName}))", token);
            var result = await work(token);
            await transaction.CommitAsync(token);
            return result;
        }, cancellationToken);
}
