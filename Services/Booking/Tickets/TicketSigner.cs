using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Npgsql;
using Boxoffice.Postgres;

namespace Boxoffice.Booking.Tickets;

/// <summary>What a ticket code says: which ticket, for which event and seat.</summary>
public sealed record TicketClaims(
    [property: JsonPropertyName("tid")] Guid TicketId,
    [property: JsonPropertyName("eid")] Guid EventId,
    [property: JsonPropertyName("seat")] string Seat);

internal sealed record SigningKey(string KeyId, ECDsa Key, string PublicKeyPem);

/// <summary>
/// Signs ticket codes with ECDSA P-256 (ES256) so a door scanner can tell a real ticket from a
/// forged one offline, with only the public key (GET /tickets/signing-key). A code is
/// <c>base64url(json claims) "." base64url(signature)</c>. The private key comes from
/// configuration (a secret) or, in development, is created once and kept in bookingdb.
/// </summary>
internal sealed class TicketSigner(NpgsqlDataSource db, IOptions<BookingOptions> options)
{
    public const int MaxCodeLength = 1024;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private SigningKey? _key;

    public async Task<SigningKey> KeyAsync(CancellationToken cancellationToken)
    {
        if (_key is { } key)
        {
            return key;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            return _key ??= options.Value.TicketSigningKey is { Length: > 0 } pem ? FromPem(pem) : await LoadOrCreateAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public string Sign(SigningKey key, TicketClaims claims)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(claims);
        var signature = key.Key.SignData(payload, HashAlgorithmName.SHA256);
        return Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>The claims of a code this service signed, or null for anything else (forged, altered, malformed).</summary>
    public static TicketClaims? Verify(SigningKey key, string code)
    {
        if (code.Length > MaxCodeLength || code.Split('.') is not [var payloadText, var signatureText])
        {
            return null;
        }

        try
        {
            var payload = Base64Url.DecodeFromChars(payloadText);
            var signature = Base64Url.DecodeFromChars(signatureText);
            return key.Key.VerifyData(payload, signature, HashAlgorithmName.SHA256) ? JsonSerializer.Deserialize<TicketClaims>(payload) : null;
        }
        catch (Exception exception) when (exception is FormatException or JsonException or CryptographicException)
        {
            return null;
        }
    }

    private Task<SigningKey> LoadOrCreateAsync(CancellationToken cancellationToken) =>
        db.RunAsync(transaction => LoadOrCreateAsync(transaction, cancellationToken), cancellationToken);

    private static async Task<SigningKey> LoadOrCreateAsync(NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        // Replicas starting together: the first creates the key, the others wait and read it.
        await using (var lockKeys = transaction.Command("SELECT pg_advisory_xact_lock(hashtext('boxoffice-ticket-key'))"))
        {
            await lockKeys.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var read = transaction.Command("SELECT private_key FROM ticket_keys ORDER BY created_at DESC LIMIT 1"))
        {
            if (await read.ExecuteScalarAsync(cancellationToken) is byte[] stored)
            {
                var existing = ECDsa.Create();
                existing.ImportPkcs8PrivateKey(stored, out _);
                return Describe(existing);
            }
        }

        var created = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = Describe(created);
        await using (var insert = transaction.Command("INSERT INTO ticket_keys (key_id, private_key) VALUES ($1, $2)", key.KeyId, created.ExportPkcs8PrivateKey()))
        {
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        return key;
    }

    private static SigningKey FromPem(string pem)
    {
        var key = ECDsa.Create();
        key.ImportFromPem(pem);
        if (key.KeySize != 256)
        {
            throw new InvalidOperationException("Booking:TicketSigningKey must be an ECDSA P-256 private key.");
        }

        return Describe(key);
    }

    private static SigningKey Describe(ECDsa key)
    {
        var publicKey = key.ExportSubjectPublicKeyInfo();
        return new SigningKey(Convert.ToHexStringLower(SHA256.HashData(publicKey))[..16], key, PemEncoding.WriteString("PUBLIC KEY", publicKey));
    }
}
