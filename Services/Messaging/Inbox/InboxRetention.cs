using Boxoffice.Messaging.Retention;
using Boxoffice.Postgres;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Boxoffice.Messaging.Inbox;

/// <summary>
/// Deletes inbox rows handled more than <see cref="RetentionOptions.Inbox"/> ago (index
/// <c>inbox_handled_at</c>). Once a row is gone, the same event delivered again would be handled
/// again, so rows must outlive any redelivery: the topics' retention, and any replay of an old
/// dead letter. In a service without an inbox it deletes nothing.
/// </summary>
internal sealed class InboxRetention(IEnumerable<MigrationSeries> series, IOptions<RetentionOptions> options) : IRetentionRule
{
    private readonly bool _hasInbox = series.Any(one => one.Name == InboxSeries);

    internal const string InboxSeries = "inbox";

    public string Table => "inbox";

    public TimeSpan Keep => options.Value.Inbox;

    public async Task<int> PurgeAsync(NpgsqlTransaction transaction, DateTimeOffset before, int limit, CancellationToken cancellationToken)
    {
        if (!_hasInbox)
        {
            return 0;
        }

        await using var purge = transaction.Command(
            """
            DELETE FROM inbox WHERE ctid = ANY(ARRAY(
                SELECT ctid FROM inbox WHERE handled_at < $1 ORDER BY handled_at LIMIT $2))
            """, before, limit);
        return await purge.ExecuteNonQueryAsync(cancellationToken);
    }
}
