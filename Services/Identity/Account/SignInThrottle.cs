using System.Net;
using System.Security.Cryptography;
using System.Text;
using Boxoffice.Identity.Seeding;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Boxoffice.Identity.Account;

/// <summary>
/// Counts failed sign-ins in Redis, shared by every replica: per account from one client address,
/// and per address over every account. Past either limit, sign-in from that address is refused
/// until the window ends, whether or not the password is right. An account is never locked as a
/// whole: failures sent from elsewhere cannot lock its owner out before a sale, and guessing one
/// account's password from many addresses still costs the limit per address (plus the gateway's
/// sign-in rate limit and the password hash's cost). Emails are hashed, so Redis holds none.
/// Losing Redis resets the counters: it costs protection for one window, never an account.
/// </summary>
internal sealed class SignInThrottle(IConnectionMultiplexer redis, IOptions<IdentitySettings> options, TimeProvider time, ILogger<SignInThrottle> logger)
    : RedisThrottle(redis, time, logger)
{
    private readonly IdentitySettings _options = options.Value;

    /// <summary>How long sign-in stays refused for this account or address; null while allowed (or when Redis does not answer).</summary>
    public Task<TimeSpan?> RefusedForAsync(string normalizedEmail, IPAddress? address) => FailOpen<TimeSpan?>(async db =>
    {
        foreach (var (key, limit) in Keys(normalizedEmail, address))
        {
            var failures = (long?)await db.StringGetAsync(key) ?? 0;
            if (failures >= limit)
            {
                return await db.KeyTimeToLiveAsync(key) ?? _options.FailedSignInWindow;
            }
        }

        return null;
    }, null);

    public Task RecordFailureAsync(string normalizedEmail, IPAddress? address) => FailOpen(async db =>
    {
        foreach (var (key, _) in Keys(normalizedEmail, address))
        {
            await CountAsync(db, key, _options.FailedSignInWindow);
        }

        return true;
    }, false);

    /// <summary>After a successful sign-in: this address's failures against the account are forgotten (not the address's own count).</summary>
    public Task ResetAsync(string normalizedEmail, IPAddress? address) => FailOpen(db => db.KeyDeleteAsync(AccountKey(normalizedEmail, address)), false);

    private IEnumerable<(RedisKey Key, int Limit)> Keys(string normalizedEmail, IPAddress? address)
    {
        yield return (AccountKey(normalizedEmail, address), _options.MaxFailedSignIns);
        if (address is not null)
        {
            // An address may serve many people (a venue's Wi-Fi): a looser limit than per account.
            yield return ($"identity:signin-failures:address:{ClientAddress.Key(address)}", _options.MaxFailedSignIns * 4);
        }
    }

    /// <summary>The account's failures from one address (from any, when the address is unknown).</summary>
    private static RedisKey AccountKey(string normalizedEmail, IPAddress? address) =>
        "identity:signin-failures:account:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalizedEmail)))
        + (address is null ? "" : ":from:" + ClientAddress.Key(address));
}
