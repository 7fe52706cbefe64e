using System.Security.Cryptography;
using System.Text;
using Boxoffice.Identity.Data;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Core;
using OpenIddict.EntityFrameworkCore.Models;

namespace Boxoffice.Identity.Connect;

/// <summary>
/// The client secrets this replica has verified lately. OpenIddict stores a client secret as a
/// PBKDF2 hash and checks every presented secret against it; on two cores that one check was a
/// third of a client-credentials token's cost. A secret that passed the check is remembered for
/// <see cref="Lifetime"/> as an HMAC (under a key this process draws at start and never writes
/// anywhere) of the stored hash and the secret, so:
/// <list type="bullet">
/// <item>nothing in memory gives the secret back; testing guesses against an entry needs the key
/// as well (a dump of the process's memory), and then runs at HMAC speed, not PBKDF2's: harmless
/// for the generated secrets of 24 characters and more that clients have here;</item>
/// <item>a wrong secret is never remembered, so guessing still pays the full PBKDF2 price each time;</item>
/// <item>a rotated secret (a new stored hash) misses at once: the old secret stops working on the
/// next request, as without the cache.</item>
/// </list>
/// See ADR 0017.
/// </summary>
internal sealed class VerifiedClientSecrets(TimeProvider clock)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    /// <summary>Enough for every client's secret several times over; past it, nothing new is remembered until entries expire.</summary>
    internal const int Capacity = 1024;

    private readonly byte[] key = RandomNumberGenerator.GetBytes(32);
    private readonly Remembered<UInt128, bool> verified = new(clock, Lifetime, Capacity);

    public bool Contains(string secret, string storedHash) => verified.TryGet(Entry(secret, storedHash), out _);

    public void Add(string secret, string storedHash) => verified.Add(Entry(secret, storedHash), true);

    /// <summary>128 bits of HMAC-SHA256 over the stored hash and the secret (the hash is never empty, and a NUL separates them).</summary>
    private UInt128 Entry(string secret, string storedHash)
    {
        var input = Encoding.UTF8.GetBytes($"{storedHash}\0{secret}");
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key, input, mac);
        CryptographicOperations.ZeroMemory(input);
        return BitConverter.ToUInt128(mac);
    }
}

/// <summary>
/// OpenIddict's application manager, whose client lookup by id goes through
/// <see cref="RememberedClients"/> and whose client secret check goes through
/// <see cref="VerifiedClientSecrets"/>.
/// </summary>
internal sealed class ApplicationManager(
    IOpenIddictApplicationCache<OpenIddictEntityFrameworkCoreApplication> cache,
    ILogger<OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>> logger,
    IOptionsMonitor<OpenIddictCoreOptions> options,
    IOpenIddictApplicationStore<OpenIddictEntityFrameworkCoreApplication> store,
    VerifiedClientSecrets verified,
    RememberedClients clients,
    IdentityDb db)
    : OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>(cache, logger, options, store)
{
    public override async ValueTask<OpenIddictEntityFrameworkCoreApplication?> FindByClientIdAsync(string identifier, CancellationToken cancellationToken = default)
    {
        if (clients.TryGet(identifier, out var remembered))
        {
            return remembered;
        }

        var found = await base.FindByClientIdAsync(identifier, cancellationToken);
        if (found is not null)
        {
            // A copy of its values, tracked by no context: other requests only read it, while the
            // instance this request's context tracks may gain related rows as the request goes on.
            clients.Add(identifier, (OpenIddictEntityFrameworkCoreApplication)db.Entry(found).CurrentValues.ToObject());
        }

        return found;
    }

    protected override async ValueTask<bool> ValidateClientSecretAsync(string secret, string comparand, CancellationToken cancellationToken = default)
    {
        if (verified.Contains(secret, comparand))
        {
            return true;
        }

        if (!await base.ValidateClientSecretAsync(secret, comparand, cancellationToken))
        {
            return false;
        }

        verified.Add(secret, comparand);
        return true;
    }
}
