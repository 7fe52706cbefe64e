using Boxoffice.Messaging.Retention;
using Boxoffice.Postgres;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Boxoffice.Messaging.Outbox;

/// <summary>
/// Deletes outbox rows published more than <see cref="RetentionOptions.Outbox"/> ago. Parked rows
/// (<c>failed_at</c>) and rows not yet published are never deleted.
/// </summary>
/// <remarks>
/// No index on <c>published_at</c>: the relay sets it on every row, and an index there would cost
/// every publish an index entry more. A row published before the cut was created before it too,
/// and its <c>message_id</c> is a UUIDv7 whose leading bits are its creation time, so the purge
/// walks the <c>message_id</c> index only as far as the cut. (A row whose id is not a UUIDv7 is
/// written by nothing in Boxoffice; it is deleted only if its id sorts below the cut.)
/// </remarks>
internal sealed class OutboxRetention(IOptions<RetentionOptions> options) : IRetentionRule
{
    public string Table => "outbox";

    public TimeSpan Keep => options.Value.Outbox;

    public async Task<int> PurgeAsync(NpgsqlTransaction transaction, DateTimeOffset before, int limit, CancellationToken cancellationToken)
    {
        await using var purge = transaction.Command(
            """
            DELETE FROM outbox WHERE id = ANY(ARRAY(
                SELECT id FROM outbox
                WHERE message_id < $1 AND published_at < $2 AND failed_at IS NULL
                ORDER BY message_id LIMIT $3))
            """, CreatedBefore(before), before, limit);
        return await purge.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The smallest UUIDv7 of the millisecond <paramref name="time"/>: every UUIDv7 made earlier
    /// sorts below it in PostgreSQL's <c>uuid</c> order (bytes in RFC 9562 order), every one made
    /// then or later at or above it.
    /// </summary>
    internal static Guid CreatedBefore(DateTimeOffset time)
    {
        Span<byte> bytes = stackalloc byte[16];
        var milliseconds = time.ToUnixTimeMilliseconds();
        for (var i = 5; i >= 0; i--, milliseconds >>= 8)
        {
            bytes[i] = (byte)milliseconds;
        }

        bytes[6] = 0x70; // version 7
        bytes[8] = 0x80; // RFC 9562 variant
        return new Guid(bytes, bigEndian: true);
    }
}
