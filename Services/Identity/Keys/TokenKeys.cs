using System.Security.Cryptography;
using Boxoffice.Identity.Data;
using Boxoffice.Identity.Seeding;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;

namespace Boxoffice.Identity.Keys;

/// <summary>
/// The token server's keys as last loaded (see <see cref="TokenKeyStore"/>): the signing keys with
/// the one that signs first, then the ones published beside it (the next one, before it signs;
/// earlier ones, while tokens they signed can still be presented), the RSA encryption key, and
/// the internal keys for the tokens only identity reads.
/// </summary>
internal sealed class TokenKeys
{
    private volatile Loaded? _loaded;

    /// <summary>One load's keys, read together (a reload between separate reads would mix two loads).</summary>
    public sealed record Loaded(IReadOnlyList<RsaSecurityKey> Signing, RsaSecurityKey Encryption, InternalKeys Internal);

    public IReadOnlyList<RsaSecurityKey> Signing => Current.Signing;

    public Loaded Current => _loaded ?? throw new InvalidOperationException("The token keys are not loaded yet.");

    /// <summary>Whether keys of these ids, in this order, are the ones held.</summary>
    public bool Holds(IEnumerable<string> signingIds, string encryptionId, string internalId) =>
        _loaded is { } loaded && loaded.Encryption.KeyId == encryptionId && loaded.Internal.Id == internalId
        && signingIds.SequenceEqual(loaded.Signing.Select(key => key.KeyId));

    public void Load(IReadOnlyList<RsaSecurityKey> signing, RsaSecurityKey encryption, InternalKeys @internal) => _loaded = new Loaded(signing, encryption, @internal);
}

/// <summary>
/// The server's own secret for authorization codes and refresh tokens, which no one but identity
/// reads: an HMAC-SHA256 key signs them and an AES-256 key wraps each one's content key, in place
/// of an RSA signature and an RSA key unwrap per token (ADR 0018).
/// </summary>
internal sealed record InternalKeys(string Id, SymmetricSecurityKey Signing, SymmetricSecurityKey Encryption)
{
    /// <summary>The stored secret's length: 32 bytes for each key.</summary>
    public const int SecretBytes = 64;

    public static InternalKeys From(string id, ReadOnlySpan<byte> secret)
    {
        if (secret.Length != SecretBytes)
        {
            throw new CryptographicException($"The internal token key {id} has {secret.Length} bytes, not {SecretBytes}.");
        }

        return new InternalKeys(
            id,
            new SymmetricSecurityKey(secret[..32].ToArray()) { KeyId = id },
            new SymmetricSecurityKey(secret[32..].ToArray()) { KeyId = id });
    }
}

/// <summary>
/// Keeps the token server's RSA keys in identitydb so that every replica signs with the same key
/// and tokens stay valid across restarts. The first replica to start creates them, under a
/// transaction-scoped advisory lock. Signing keys roll over by themselves: when the one that signs
/// is <see cref="IdentitySettings.SigningKeyLifetime"/> old, less the publication lead, the next is
/// made, published at once and signing <see cref="IdentitySettings.SigningKeyPublicationLead"/>
/// later. An earlier key stays published and accepted until every token it signed has expired
/// (refresh tokens are signed too, so that is the refresh-token lifetime).
/// </summary>
internal sealed class TokenKeyStore(
    IdentityDb db, IDataProtectionProvider protection, TokenKeys keys, IOptions<IdentitySettings> settings, TimeProvider time, ILogger<TokenKeyStore> logger)
{
    public const string ProtectorPurpose = "Boxoffice.Identity.TokenKeys.v1";

    private readonly IDataProtector _protector = protection.CreateProtector(ProtectorPurpose);

    /// <summary>Makes what is missing or due, and loads the keys; whether they changed.</summary>
    public async Task<bool> LoadOrCreateAsync(CancellationToken cancellationToken)
    {
        // Loaded once committed: a key made in a transaction that then failed never signs.
        var (signing, encryption, @internal) = await db.RunLockedAsync("identity-token-keys", async token =>
        {
            var signing = await SigningKeysAsync(token);
            var encryption = await LatestAsync(SigningKey.Encryption, token) ?? await CreateAsync(SigningKey.Encryption, activatesAfter: null, token);
            var @internal = await LatestAsync(SigningKey.Internal, token) ?? await CreateInternalAsync(token);
            return (signing, encryption, @internal);
        }, cancellationToken);
        if (keys.Holds(signing.Select(key => key.Id), encryption.Id, @internal.Id))
        {
            return false;
        }

        keys.Load([.. signing.Select(Unprotect)], Unprotect(encryption), InternalKeys.From(@internal.Id, Convert.FromBase64String(_protector.Unprotect(@internal.ProtectedPrivateKey))));
        return true;
    }

    /// <summary>The signing keys to hold, the one that signs first; the next one made if it is due.</summary>
    private async Task<List<SigningKey>> SigningKeysAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var all = await db.SigningKeys.Where(key => key.Purpose == SigningKey.Signing).ToListAsync(cancellationToken);
        if (all.Count == 0)
        {
            all.Add(await CreateAsync(SigningKey.Signing, activatesAfter: TimeSpan.Zero, cancellationToken));
        }

        var (lifetime, lead) = (settings.Value.SigningKeyLifetime, settings.Value.SigningKeyPublicationLead);
        var newest = all.MaxBy(key => key.Activation)!;
        if (newest.Activation <= now && newest.Activation + lifetime - lead <= now)
        {
            var next = await CreateAsync(SigningKey.Signing, activatesAfter: lead, cancellationToken);
            logger.LogInformation("Signing key {KeyId} is due for rollover: key {NextKeyId} is published now and signs from {ActivatesAt:O}", newest.Id, next.Id, next.ActivatesAt);
            all.Add(next);
        }

        // Newest first: the pending ones, then the one that signs, then the earlier ones still kept.
        var ordered = all.OrderByDescending(key => key.Activation).ToList();
        var signer = ordered.FirstOrDefault(key => key.Activation <= now) ?? ordered[^1];
        var kept = settings.Value.RefreshTokenLifetime + settings.Value.AccessTokenLifetime;
        var held = new List<SigningKey> { signer };
        for (var i = 0; i < ordered.Count; i++)
        {
            var key = ordered[i];
            var succeededAt = i == 0 ? (DateTimeOffset?)null : ordered[i - 1].Activation;
            if (key != signer && (key.Activation > now || (succeededAt is { } at && at > now - kept)))
            {
                held.Add(key);
            }
        }

        return held;
    }

    /// <summary>
    /// A new key; a signing key signs <paramref name="activatesAfter"/> after it is made (and
    /// published), counted from once the key exists: generating it can take a second on a busy
    /// machine, which must not come out of the publication lead.
    /// </summary>
    private async Task<SigningKey> CreateAsync(string purpose, TimeSpan? activatesAfter, CancellationToken cancellationToken)
    {
        using var rsa = RSA.Create(2048);
        return await StoreAsync(purpose, rsa.ExportPkcs8PrivateKeyPem(), activatesAfter, cancellationToken);
    }

    /// <summary>The internal secret: <see cref="InternalKeys.SecretBytes"/> random bytes, stored as base64.</summary>
    private Task<SigningKey> CreateInternalAsync(CancellationToken cancellationToken) =>
        StoreAsync(SigningKey.Internal, Convert.ToBase64String(RandomNumberGenerator.GetBytes(InternalKeys.SecretBytes)), activatesAfter: null, cancellationToken);

    /// <summary>Stores <paramref name="secret"/> protected, as a new key of <paramref name="purpose"/>.</summary>
    private async Task<SigningKey> StoreAsync(string purpose, string secret, TimeSpan? activatesAfter, CancellationToken cancellationToken)
    {
        var createdAt = time.GetUtcNow();
        var stored = new SigningKey
        {
            Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            Purpose = purpose,
            ProtectedPrivateKey = _protector.Protect(secret),
            CreatedAt = createdAt,
            ActivatesAt = createdAt + activatesAfter,
        };
        db.SigningKeys.Add(stored);
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Created the token {Purpose} key {KeyId}", purpose, stored.Id);
        return stored;
    }

    private Task<SigningKey?> LatestAsync(string purpose, CancellationToken cancellationToken) =>
        db.SigningKeys.Where(key => key.Purpose == purpose).OrderByDescending(key => key.CreatedAt).FirstOrDefaultAsync(cancellationToken);

    private RsaSecurityKey Unprotect(SigningKey stored)
    {
        var key = RSA.Create();
        key.ImportFromPem(_protector.Unprotect(stored.ProtectedPrivateKey));
        return new RsaSecurityKey(key) { KeyId = stored.Id };
    }
}

/// <summary>
/// Reloads the keys on every replica each <see cref="IdentitySettings.KeyRefreshInterval"/>, making
/// the next signing key when it is due. When they change, OpenIddict's options are rebuilt (the
/// cached instance dropped), so the JWKS and the signing key follow without a restart.
/// </summary>
internal sealed partial class TokenKeyRotation(
    IServiceScopeFactory scopes, IOptions<IdentitySettings> settings, IOptionsMonitorCache<OpenIddictServerOptions> serverOptions, ILogger<TokenKeyRotation> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(settings.Value.KeyRefreshInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                if (await scope.ServiceProvider.GetRequiredService<TokenKeyStore>().LoadOrCreateAsync(stoppingToken))
                {
                    serverOptions.TryRemove(Options.DefaultName);
                    LogKeysChanged();
                }
            }
            catch (Exception failure) when (!stoppingToken.IsCancellationRequested)
            {
                // identitydb briefly away (or a command timing out, which surfaces as a
                // cancellation too): the keys held keep working; the next tick tries again. Only
                // stopping ends the loop: anything escaping a background service stops the host.
                LogRefreshFailed(failure.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Token keys changed: the JWKS and the signing key follow")]
    private partial void LogKeysChanged();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not reload the token keys: {Reason}")]
    private partial void LogRefreshFailed(string reason);
}
