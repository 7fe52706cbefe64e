using Npgsql;

namespace Boxoffice.Messaging.Retention;

/// <summary>
/// A table whose rows are deleted once they are old enough, by the retention purge
/// (<see cref="RetentionExtensions.AddRetentionRule{TRule}"/>). The rule owns its statement; the
/// purge runs it in batches, one replica at a time, and counts what it deleted
/// (<c>boxoffice.retention.purged</c>, tag <c>table</c>).
/// </summary>
public interface IRetentionRule
{
    /// <summary>The table, as the metric's <c>table</c> tag and the logs name it.</summary>
    string Table { get; }

    /// <summary>How long a row is kept; the rule says from which moment of the row's life.</summary>
    TimeSpan Keep { get; }

    /// <summary>
    /// Deletes at most <paramref name="limit"/> rows that are due (their moment is before
    /// <paramref name="before"/>) in <paramref name="transaction"/>, and returns how many it deleted.
    /// Fewer than <paramref name="limit"/> means none are left. Pick the rows by an index, up to the
    /// limit, inside <c>ARRAY(...)</c>, and delete them by key or <c>ctid</c>
    /// (<c>DELETE ... WHERE ctid = ANY(ARRAY(SELECT ctid ... LIMIT $n))</c>): with a join
    /// (<c>DELETE ... USING</c>) the planner may hash the whole table to delete a few thousand rows.
    /// </summary>
    Task<int> PurgeAsync(NpgsqlTransaction transaction, DateTimeOffset before, int limit, CancellationToken cancellationToken);
}
