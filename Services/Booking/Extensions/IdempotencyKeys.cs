using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Boxoffice.Postgres;
using Npgsql;

namespace Boxoffice.Booking;

/// <summary>A state-changing request sent with an <c>Idempotency-Key</c>: the key, and a fingerprint of what was asked.</summary>
internal sealed record IdempotentRequest(string Key, byte[] Fingerprint);

/// <summary>
/// The <c>Idempotency-Key</c> header of a state-changing request, as an Api file binds it: a client
/// that retries with the same key and the same request gets the first successful answer again
/// instead of a second hold or order; the same key with another request is refused (422).
/// <see cref="IdempotencyStore"/> keeps an order's keys, the database function
/// <c>request_hold</c> (migration 0009) a hold's.
/// </summary>
internal static class IdempotencyKeys
{
    public const string Header = "Idempotency-Key";
    private const int MaxLength = 200;

    /// <summary>The header's value, or an error when it is there but unusable.</summary>
    public static (string? Key, string? Error) Read(HttpRequest request)
    {
        if (!request.Headers.TryGetValue(Header, out var values))
        {
            return (null, null);
        }

        var key = values.Count == 1 ? values[0] : null;
        if (string.IsNullOrEmpty(key) || key.Length > MaxLength || key.Any(c => c is < '!' or > '~'))
        {
            return (null, $"{Header} must be one value of 1 to {MaxLength} visible ASCII characters.");
        }

        return (key, null);
    }

    /// <summary>
    /// The request's key with a fingerprint of what was asked (the route and the request as bound),
    /// null when it has none, or the validation errors of an unusable one.
    /// </summary>
    public static (IdempotentRequest? Request, Dictionary<string, string[]>? Errors) Bind<T>(HttpRequest request, T body)
    {
        var (key, error) = Read(request);
        if (error is not null)
        {
            return (null, new Dictionary<string, string[]> { [Header] = [error] });
        }

        return key is null ? (null, null) : (new IdempotentRequest(key, Fingerprint(request, body)), null);
    }

    /// <summary>The answer to a key sent again with another request.</summary>
    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Reused() =>
        Problems.Of(ProblemTypes.IdempotencyKeyReused, "The Idempotency-Key was used for another request.",
            "A key stands for one request: send a new key for a different request.");

    private static byte[] Fingerprint<T>(HttpRequest request, T body) =>
        SHA256.HashData(Encoding.UTF8.GetBytes($"{request.Method} {request.Path}\n{JsonSerializer.Serialize(body)}"));
}

/// <summary>
/// The first successful answer per buyer and key, in <c>idempotency_keys</c>. The key is claimed
/// inside the request's own transaction, so a concurrent retry waits for the first and then
/// replays it, and a request that failed (rolled back) leaves no key behind and may be retried
/// for real. An order's key is claimed and recorded here; a hold's by the database function
/// <c>request_hold</c> (migration 0009), in the hold's one round trip, with the same rules.
/// </summary>
internal static class IdempotencyStore
{
    /// <summary>
    /// Claims the key for this request. Returns null when it is new (the caller does the work and
    /// then records its answer with <see cref="RecordStatement{T}"/> in the same transaction), else what was answered the first time.
    /// </summary>
    public static async Task<Earlier?> ClaimAsync(NpgsqlTransaction transaction, string buyerId, IdempotentRequest request, CancellationToken cancellationToken)
    {
        await using (var claim = transaction.Command(
            "INSERT INTO idempotency_keys (buyer_id, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", buyerId, request.Key, request.Fingerprint))
        {
            if (await claim.ExecuteNonQueryAsync(cancellationToken) == 1)
            {
                return null;
            }
        }

        await using var read = transaction.Command("SELECT request_hash, location, body FROM idempotency_keys WHERE buyer_id = $1 AND key = $2", buyerId, request.Key);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var sameRequest = CryptographicOperations.FixedTimeEquals(reader.GetFieldValue<byte[]>(0), request.Fingerprint);
        return new Earlier(sameRequest, reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetFieldValue<byte[]>(2));
    }

    /// <summary>A batch statement that records the answer to a claimed key, for the caller's batch in the claim's transaction.</summary>
    public static NpgsqlBatchCommand RecordStatement<T>(string buyerId, IdempotentRequest request, string location, T answer) =>
        Sql.Statement(
            "UPDATE idempotency_keys SET location = $3, body = $4 WHERE buyer_id = $1 AND key = $2",
            buyerId, request.Key, location, JsonSerializer.SerializeToUtf8Bytes(answer, JsonSerializerOptions.Web));

    /// <summary>
    /// Deletes up to <paramref name="limit"/> keys claimed before <paramref name="before"/> (index
    /// <c>idempotency_keys_by_age</c>). A key sent again after that is a new request.
    /// </summary>
    public static async Task<int> PurgeAsync(NpgsqlTransaction transaction, DateTimeOffset before, int limit, CancellationToken cancellationToken)
    {
        await using var purge = transaction.Command(
            """
            DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(
                SELECT ctid FROM idempotency_keys WHERE created_at < $1 ORDER BY created_at LIMIT $2))
            """, before, limit);
        return await purge.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>An answer as a key recorded it (booking's JSON, the web defaults).</summary>
    public static T AnswerOf<T>(byte[] body) => JsonSerializer.Deserialize<T>(body, JsonSerializerOptions.Web)!;

    public sealed record Earlier(bool SameRequest, string? Location, byte[]? Body)
    {
        public T Answer<T>() => AnswerOf<T>(Body!);
    }
}
