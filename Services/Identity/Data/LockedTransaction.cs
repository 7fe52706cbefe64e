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
        db.Database.CreateExecutionStrategy().ExecuteAsync(async token =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(token);
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtext({lockName}))", token);
            await work(token);
            await transaction.CommitAsync(token);
        }, cancellationToken);
}
