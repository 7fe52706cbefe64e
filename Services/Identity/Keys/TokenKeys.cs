using System.Security.Cryptography;
using Boxoffice.Identity.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;

namespace Boxoffice.Identity.Keys;

/// <summary>The token server's keys, loaded once at start (see <see cref="TokenKeyStore"/>).</summary>
internal sealed class TokenKeys
{
    private RsaSecurityKey? _signing;
    private RsaSecurityKey? _encryption;

    public RsaSecurityKey Signing => _signing ?? throw new InvalidOperationException("The token keys are not loaded yet.");

    public RsaSecurityKey Encryption => _encryption ?? throw new InvalidOperationException("The token keys are not loaded yet.");

    public void Load(RsaSecurityKey signing, RsaSecurityKey encryption) => (_signing, _encryption) = (signing, encryption);
}

/// <summary>
/// Keeps the token server's RSA keys in identitydb so that every replica signs with the same key
/// and tokens stay valid across restarts. The first replica to start creates them, under a
/// transaction-scoped advisory lock; the others read them.
/// </summary>
internal sealed class TokenKeyStore(IdentityDb db, IDataProtectionProvider protection, TokenKeys keys, TimeProvider time, ILogger<TokenKeyStore> logger)
{
    public const string ProtectorPurpose = "Boxoffice.Identity.TokenKeys.v1";

    private readonly IDataProtector _protector = protection.CreateProtector(ProtectorPurpose);

    public Task LoadOrCreateAsync(CancellationToken cancellationToken) => db.RunLockedAsync("identity-token-keys", async token =>
    {
        var signing = await LoadOrCreateAsync(SigningKey.Signing, token);
        var encryption = await LoadOrCreateAsync(SigningKey.Encryption, token);
        keys.Load(signing, encryption);
    }, cancellationToken);

    private async Task<RsaSecurityKey> LoadOrCreateAsync(string purpose, CancellationToken cancellationToken)
    {
        var stored = await db.SigningKeys.Where(key => key.Purpose == purpose)
            .OrderByDescending(key => key.CreatedAt)
            .FirstOrDefaultAsync(cancellationToken);
        if (stored is null)
        {
            using var rsa = RSA.Create(2048);
            stored = new SigningKey
            {
                Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
                Purpose = purpose,
                ProtectedPrivateKey = _protector.Protect(rsa.ExportPkcs8PrivateKeyPem()),
                CreatedAt = time.GetUtcNow(),
            };
            db.SigningKeys.Add(stored);
            await db.SaveChangesAsync(cancellationToken);
            logger.LogInformation("Created the token {Purpose} key {KeyId}", purpose, stored.Id);
        }

        var key = RSA.Create();
        key.ImportFromPem(_protector.Unprotect(stored.ProtectedPrivateKey));
        return new RsaSecurityKey(key) { KeyId = stored.Id };
    }
}
