using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Boxoffice.Tests.Edge;

/// <summary>
/// Stops and starts the Redis server the way an outage would, for the tests that prove nothing
/// depends on it alone. After a start, <see cref="RecoveredAsync"/> waits until everything that
/// uses Redis uses it again, so the next test finds its limits enforced.
/// </summary>
internal static class RedisServer
{
    public static IResource Resource(BoxofficeApp boxoffice) =>
        boxoffice.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(resource => resource.Name == "redis-server");

    /// <summary>Stops it, and waits until it no longer answers and the AppHost has noticed (so the start is seen as a recovery).</summary>
    public static async Task StopAsync(BoxofficeApp boxoffice, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(1));
        await boxoffice.ExecuteCommandAsync(Resource(boxoffice), KnownResourceCommands.StopCommand, cancellationToken, within: TimeSpan.FromMinutes(1));
        Assert.False(await AnswersAsync(await boxoffice.ConnectionStringAsync("redis")), "Redis still answers after being stopped");
        await boxoffice.App.ResourceNotifications.WaitForResourceAsync("redis", change => change.Snapshot.HealthStatus != HealthStatus.Healthy, timeout.Token);
    }

    /// <summary>Starts it and waits (up to a minute, the start included) until it answers again.</summary>
    public static async Task StartAsync(BoxofficeApp boxoffice)
    {
        using var back = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await boxoffice.ExecuteCommandAsync(Resource(boxoffice), KnownResourceCommands.StartCommand, CancellationToken.None, within: TimeSpan.FromMinutes(1));
        var connection = await boxoffice.ConnectionStringAsync("redis");
        while (!await AnswersAsync(connection))
        {
            await Task.Delay(250, back.Token);
        }
    }

    /// <summary>
    /// Until (up to a minute) everything is healthy again, as the AppHost reports it, and the
    /// gateway's limits and identity's sign-in throttle are counted in Redis again.
    /// </summary>
    public static async Task RecoveredAsync(BoxofficeApp boxoffice)
    {
        using var back = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var connection = await boxoffice.ConnectionStringAsync("redis");
        await boxoffice.WaitUntilEverythingHealthyAsync(back.Token, within: TimeSpan.FromMinutes(1));
        await GatewayLimitsAgainAsync(boxoffice, connection, back.Token);
        await SignInThrottleAgainAsync(boxoffice, connection, back.Token);
    }

    public static async Task<bool> AnswersAsync(string connectionString)
    {
        var options = ConfigurationOptions.Parse(connectionString);
        options.AbortOnConnectFail = true;
        options.ConnectTimeout = 2000;
        try
        {
            await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
            await redis.GetDatabase().PingAsync();
            return true;
        }
        catch (RedisConnectionException)
        {
            return false;
        }
    }

    /// <summary>
    /// The gateway has no Redis health check (its limits fail open), and its client connects and
    /// reconnects on its own schedule: at start, and seconds after Redis is back. Until the
    /// gateway's buckets are written to Redis, through a few fresh connections (so both replicas),
    /// the next test's limits would not be enforced.
    /// </summary>
    public static async Task GatewayLimitsCountedAsync(BoxofficeApp boxoffice, CancellationToken cancellationToken) =>
        await GatewayLimitsAgainAsync(boxoffice, await boxoffice.ConnectionStringAsync("redis"), cancellationToken);

    private static async Task GatewayLimitsAgainAsync(BoxofficeApp boxoffice, string redisConnection, CancellationToken cancellationToken)
    {
        var key = await Tokens.SigningKeyAsync(boxoffice);
        var issuer = await Tokens.IssuerAsync(boxoffice);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(redisConnection);
        for (var inARow = 0; inARow < 4;)
        {
            var subject = $"probe-{Guid.NewGuid():N}";
            using (var gateway = boxoffice.CreateGatewayClient())
            using (await gateway.SendAsync(Tokens.Get("/api/catalog/organizer/events", Tokens.Mint(key, issuer, subject, "catalog.write", ["organizer"])), cancellationToken))
            {
            }

            inARow = await redis.GetDatabase().KeyExistsAsync($"gateway:ratelimit:standard:sub:{subject}") ? inARow + 1 : 0;
            if (inARow == 0)
            {
                await Task.Delay(250, cancellationToken);
            }
        }
    }

    /// <summary>
    /// The same for identity's sign-in throttle, which also fails open: one failed sign-in of an
    /// unknown address must be counted in Redis again (failures are not counted while it is away,
    /// so the probes cost the shared per-address count only once).
    /// </summary>
    private static async Task SignInThrottleAgainAsync(BoxofficeApp boxoffice, string redisConnection, CancellationToken cancellationToken)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(redisConnection);
        var server = redis.GetServers().Single();
        using var browser = Tokens.Browser(boxoffice);
        while (true)
        {
            using (await Tokens.SignInAsync(browser, "/account/login", $"probe-{Guid.NewGuid():N}@example.com", "not the password of anyone"))
            {
            }

            await foreach (var _ in server.KeysAsync(pattern: "identity:signin-failures:account:*"))
            {
                return;
            }

            await Task.Delay(250, cancellationToken);
        }
    }
}
