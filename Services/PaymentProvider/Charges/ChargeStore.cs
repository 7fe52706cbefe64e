using Boxoffice.Postgres;
using Npgsql;

namespace Boxoffice.PaymentProvider.Charges;

/// <summary>
/// Charges in providerdb. Each statement runs on a connection of its own from the data source:
/// a charge waits out its chaos delay holding no connection.
/// </summary>
internal static class ChargeStore
{
    private const string Columns =
        "id, idempotency_key, amount, currency, reference, status, created_at, completed_at, refunded_amount, request_hash";

    public static async Task<StoredCharge?> FindAsync(NpgsqlDataSource db, string idempotencyKey, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var command = connection.Command($"SELECT {Columns} FROM charges WHERE idempotency_key = $1", idempotencyKey);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>Records the charge as started; false when a charge with this key already exists (a concurrent duplicate).</summary>
    public static async Task<bool> TryStartAsync(NpgsqlDataSource db, Guid id, string idempotencyKey, byte[] requestHash, ChargeRequest request, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var command = connection.Command(
            """
            INSERT INTO charges (id, idempotency_key, request_hash, amount, currency, reference, status, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, 'processing', $7)
            ON CONFLICT (idempotency_key) DO NOTHING
            """, id, idempotencyKey, requestHash, request.Amount!.Value, request.Currency, request.Reference, now);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Gives a started charge its outcome.</summary>
    public static async Task<Charge> CompleteAsync(NpgsqlDataSource db, Guid id, string status, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var command = connection.Command(
            $"UPDATE charges SET status = $2, completed_at = $3 WHERE id = $1 AND status = 'processing' RETURNING {Columns}", id, status, now);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? Read(reader).Charge
            : throw new InvalidOperationException($"Charge {id} was not processing when it completed.");
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
        reader.GetFieldValue<byte[]>(9));
}
