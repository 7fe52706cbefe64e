using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using StackExchange.Redis;

namespace Boxoffice.Storefront.Session;

/// <summary>
/// Sessions on the server: the cookie carries only a random key; the signed-in identity and its
/// tokens are in Redis, encrypted with the storefront's Data Protection keys, for as long as the
/// session may live. Losing Redis signs buyers out (they sign in again); it loses no order.
/// </summary>
internal sealed class RedisTicketStore(IConnectionMultiplexer redis, IDataProtectionProvider protection, TimeProvider time, Microsoft.Extensions.Options.IOptions<Extensions.StorefrontOptions> options) : ITicketStore
{
    private const string Prefix = "storefront:session:";
    private readonly IDataProtector _protector = protection.CreateProtector("Boxoffice.Storefront.Session");

    public async Task<string> StoreAsync(AuthenticationTicket ticket)
    {
        var key = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await RenewAsync(key, ticket);
        return key;
    }

    public Task RenewAsync(string key, AuthenticationTicket ticket) =>
        redis.GetDatabase().StringSetAsync(Prefix + key, _protector.Protect(TicketSerializer.Default.Serialize(ticket)), Lifetime(ticket));

    public async Task<AuthenticationTicket?> RetrieveAsync(string key)
    {
        byte[]? stored;
        try
        {
            stored = (byte[]?)await redis.GetDatabase().StringGetAsync(Prefix + key);
        }
        catch (Exception failure) when (failure is RedisException or TimeoutException)
        {
            // Redis is away: the buyer is signed out for now (pages still show; signing in waits for Redis).
            return null;
        }

        if (stored is null)
        {
            return null;
        }

        try
        {
            return TicketSerializer.Default.Deserialize(_protector.Unprotect(stored));
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            // Written under a key ring that is gone: the buyer signs in again.
            return null;
        }
    }

    public Task RemoveAsync(string key) => redis.GetDatabase().KeyDeleteAsync(Prefix + key);

    private TimeSpan Lifetime(AuthenticationTicket ticket) =>
        ticket.Properties.ExpiresUtc is { } expires && expires > time.GetUtcNow() ? expires - time.GetUtcNow() : options.Value.SessionIdleTimeout;
}
