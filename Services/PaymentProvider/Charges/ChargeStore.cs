using Boxoffice.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace Boxoffice.PaymentProvider.Charges;

/// <summary>
/// Charges in providerdb. Each statement runs on a connection of its own from the data source:
/// a charge waits out its chaos delay holding no connection. A charge's fate (its outcome and when
/// it completes) is written with it, so completing it is the same statement whoever runs it: the
/// request that started it, a later read of it, or the sweep. One without a delay is recorded
/// completed by its own INSERT.
/// </summary>
internal static class ChargeStore
{
    private const string Columns =
        "id, idempotency_key, amount, currency, reference, status, created_at, completed_at, refunded_amount, request_hash, completes_at";

    /// <summary>The charge with this key as stored, <c>processing</c> even when it is due (see <see cref="StoredCharge.IsDue"/>).</summary>
    public static async Task<StoredCharge?> FindAsync(NpgsqlDataSource db, string idempotencyKey, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var command = connection.Command($"SELECT {Columns} FROM charges WHERE idempotency_key = $1", idempotencyKey);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>
    /// Records the charge with its fate: the outcome <paramref name="fate"/> rolled and when it
    /// completes. A charge without a delay is recorded completed, in the same statement; one with
    /// a delay is recorded <c>processing</c>. Null when a charge with this key already exists (a
    /// retry, or a concurrent duplicate): nothing is written then.
    /// </summary>
    public static async Task<StoredCharge?> TryStartAsync(
        NpgsqlDataSource db, Guid id, string idempotencyKey, byte[] requestHash, ChargeRequest request, ChargeFate fate, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var outcome = fate.Declined ? ChargeStatus.Declined : ChargeStatus.Succeeded;
        var completedAt = fate.Delay > TimeSpan.Zero ? (DateTimeOffset?)null : now;
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var command = connection.Command(
            $"""
            INSERT INTO charges (id, idempotency_key, request_hash, amount, currency, reference, status, created_at, completed_at, outcome, completes_at)
            VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $8::timestamptz IS NULL THEN 'processing' ELSE $9 END, $7, $8, $9, $10)
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING {Columns}
            """,
            id, idempotencyKey, requestHash, request.Amount!.Value, request.Currency, request.Reference, now,
            Sql.Typed(completedAt, NpgsqlDbType.TimestampTz), outcome, now + fate.Delay);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>
    /// Gives a started charge the outcome it was recorded with, completed at
    /// <paramref name="completedAt"/> (or, when null, at the time it was due). A charge completed
    /// meanwhile by someone else is returned as it is: the outcome is the same either way.
    /// </summary>
    public static async Task<StoredCharge> CompleteAsync(NpgsqlDataSource db, Guid id, DateTimeOffset? completedAt, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using (var complete = connection.Command(
            $"UPDATE charges SET status = outcome, completed_at = coalesce($2, completes_at) WHERE id = $1 AND status = 'processing' RETURNING {Columns}",
            id, Sql.Typed(completedAt, NpgsqlDbType.TimestampTz)))
        await using (var reader = await complete.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                return Read(reader);
            }
        }

        await using var select = connection.Command($"SELECT {Columns} FROM charges WHERE id = $1", id);
        await using var completed = await select.ExecuteReaderAsync(cancellationToken);
        return await completed.ReadAsync(cancellationToken)
            ? Read(completed)
            : throw new InvalidOperationException($"Charge {id} is gone.");
    }

    /// <summary>Completes every charge that was due at <paramref name="due"/> and is still processing, and logs each one.</summary>
    public static async Task CompleteDueAsync(NpgsqlDataSource db, DateTimeOffset due, ILogger logger, CancellationToken cancellationToken)
    {
        foreach (var charge in await CompleteDueAsync(db, due, cancellationToken))
        {
            ProviderLog.ChargeCompletedLate(logger, charge.IdempotencyKey, charge.Status, charge.Amount);
        }
    }

    private static async Task<IReadOnlyList<Charge>> CompleteDueAsync(NpgsqlDataSource db, DateTimeOffset due, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var command = connection.Command(
            $"UPDATE charges SET status = outcome, completed_at = completes_at WHERE status = 'processing' AND completes_at <= $1 RETURNING {Columns}", due);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var completed = new List<Charge>();
        while (await reader.ReadAsync(cancellationToken))
        {
            completed.Add(Read(reader).Charge);
        }

        return completed;
    }

    /// <summary>
    /// One page of the charges created in the query's window, in (created_at, id) order, and
    /// whether more follow; null when the page's cursor names no charge. The order is the index's
    /// (charges_by_created_at), so a page reads only its own rows however many charges are older.
    /// </summary>
    public static async Task<ChargePage?> ListAsync(NpgsqlDataSource db, ChargeListQuery query, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        (DateTimeOffset CreatedAt, Guid Id)? after = null;
        if (query.StartingAfter is { } cursor)
        {
            await using var find = connection.Command("SELECT created_at FROM charges WHERE id = $1", cursor);
            if (await find.ExecuteScalarAsync(cancellationToken) is not DateTime createdAt)
            {
                return null;
            }

            after = (new DateTimeOffset(createdAt, TimeSpan.Zero), cursor);
        }

        await using var command = connection.Command(
            $"""
            SELECT {Columns} FROM charges
            WHERE ($1::timestamptz IS NULL OR created_at >= $1) AND ($2::timestamptz IS NULL OR created_at < $2)
              AND ($3::timestamptz IS NULL OR (created_at, id) > ($3, $4::uuid))
            ORDER BY created_at, id
            LIMIT $5
            """,
            Sql.Typed(query.CreatedFrom, NpgsqlDbType.TimestampTz), Sql.Typed(query.CreatedBefore, NpgsqlDbType.TimestampTz),
            Sql.Typed(after?.CreatedAt, NpgsqlDbType.TimestampTz), Sql.Typed(after?.Id, NpgsqlDbType.Uuid), query.Limit + 1);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var charges = new List<Charge>(query.Limit + 1);
        while (await reader.ReadAsync(cancellationToken))
        {
            charges.Add(Read(reader).Charge);
        }

        // One more than asked for was read only to tell whether another page follows.
        return charges.Count > query.Limit ? new ChargePage(charges[..query.Limit], HasMore: true) : new ChargePage(charges, HasMore: false);
    }

    private static StoredCharge Read(NpgsqlDataReader reader) => new(
        new Charge(
            reader.GetGuid(0),
            reader.GetString(1),
            reader.GetDecimal(2),
            reader.GetString(3),
            reader.GetString(4),
            reader.GetString(5),
            reader.GetFieldValue<DateTimeOffset>(6),
            reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7),
            reader.GetDecimal(8)),
        reader.GetFieldValue<byte[]>(9),
        reader.GetFieldValue<DateTimeOffset>(10));
}
