using System.Net;
using Boxoffice.Identity.Seeding;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Boxoffice.Identity.Account;

/// <summary>
/// Counts account creations per client address in Redis, shared by every replica: one account
/// gets one place in a waiting room, so a bot farm needs accounts by the thousand. Each valid
/// registration takes a count first (atomically, so concurrent ones cannot slip past together;
/// an IPv6 address counts by its /64, see <see cref="ClientAddress"/>);
/// past <see cref="IdentitySettings.MaxRegistrationsPerAddress"/> in the window, the answer is 429
/// until the window ends. An address that is unknown is not counted.
/// </summary>
internal sealed class RegistrationThrottle(IConnectionMultiplexer redis, IOptions<IdentitySettings> options, TimeProvider time, ILogger<RegistrationThrottle> logger)
    : RedisThrottle(redis, time, logger)
{
    private readonly IdentitySettings _options = options.Value;

    /// <summary>Counts this registration; how long the address must wait when it is one too many, else null.</summary>
    public Task<TimeSpan?> TakeAsync(IPAddress? address) => address is null ? Task.FromResult<TimeSpan?>(null) : FailOpen<TimeSpan?>(async db =>
    {
        var key = (RedisKey)$"identity:registrations:address:{ClientAddress.Key(address)}";
        var count = await CountAsync(db, key, _options.RegistrationWindow);
        return count > _options.MaxRegistrationsPerAddress ? await db.KeyTimeToLiveAsync(key) ?? _options.RegistrationWindow : null;
    }, null);
}
