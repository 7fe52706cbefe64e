using Boxoffice.Postgres;
using Npgsql;

namespace Boxoffice.PaymentProvider.Charges;

/// <summary>Refunds in providerdb, written under their charge's row lock.</summary>
internal static class RefundStore
{
    /// <summary>What a refund needs to know of its charge: how much of it can still be given back, and whether it was completed just now because it was due.</summary>
    public sealed record LockedCharge(Guid Id, string Status, decimal Refundable, decimal Amount, bool CompletedNow);

    public static async Task<StoredRefund?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string idempotencyKey, CancellationToken cancellationToken)
    {
        const string Query =
            """
            SELECT r.id, r.idempotency_key, r.charge_id, c.idempotency_key, r.amount, r.created_at, r.request_hash
            FROM refunds r JOIN charges c ON c.id = r.charge_id
            WHERE r.idempotency_key = $1
            """;
        await using var command = transaction is null ? connection.Command(Query, idempotencyKey) : transaction.Command(Query, idempotencyKey);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new StoredRefund(
            new Refund(reader.GetGuid(0), reader.GetString(1), reader.GetGuid(2), reader.GetString(3), reader.GetDecimal(4), reader.GetFieldValue<DateTimeOffset>(5)),
            reader.GetFieldValue<byte[]>(6));
    }

    /// <summary>
    /// Locks the charge until the transaction ends: refunds of one charge take turns, so each sees
    /// the amount the ones before it gave back, and a duplicate sees the refund the first one made.
    /// A charge still processing after its time is completed first, with the outcome it was recorded with.
    /// </summary>
    public static async Task<LockedCharge?> LockChargeAsync(NpgsqlTransaction transaction, string chargeKey, DateTimeOffset now, CancellationToken cancellationToken)
    {
        LockedCharge charge;
        await using (var command = transaction.Command(
            "SELECT id, status, amount - refunded_amount, amount, outcome, completes_at FROM charges WHERE idempotency_key = $1 FOR UPDATE", chargeKey))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            var (status, outcome, completesAt) = (reader.GetString(1), reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5));
            var due = status == ChargeStatus.Processing && completesAt <= now;
            charge = new LockedCharge(reader.GetGuid(0), due ? outcome : status, reader.GetDecimal(2), reader.GetDecimal(3), due);
        }

        if (charge.CompletedNow)
        {
            await using var complete = transaction.Command("UPDATE charges SET status = outcome, completed_at = completes_at WHERE id = $1", charge.Id);
            await complete.ExecuteNonQueryAsync(cancellationToken);
        }

        return charge;
    }

    /// <summary>The refund's stored creation time, or null when a refund with this key was made meanwhile (for another charge).</summary>
    public static async Task<DateTimeOffset?> TryInsertAsync(
        NpgsqlTransaction transaction, Guid id, string idempotencyKey, byte[] requestHash, Guid chargeId, decimal amount, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = transaction.Command(
            """
            INSERT INTO refunds (id, idempotency_key, request_hash, charge_id, amount, created_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING created_at
            """, id, idempotencyKey, requestHash, chargeId, amount, now);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? reader.GetFieldValue<DateTimeOffset>(0) : null;
    }

    public static async Task AddRefundedAsync(NpgsqlTransaction transaction, Guid chargeId, decimal amount, CancellationToken cancellationToken)
    {
        await using var command = transaction.Command("UPDATE charges SET refunded_amount = refunded_amount + $2 WHERE id = $1", chargeId, amount);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
