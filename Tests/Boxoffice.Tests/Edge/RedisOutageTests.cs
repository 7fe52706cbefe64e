using System.Net.Http.Json;
using System.Text.Json;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Boxoffice.Tests.Edge;

/// <summary>
/// Redis is never the only copy of anything that matters: with it down, the gateway lets requests
/// through (rate limits fail open), stays ready, and people can still register and sign in.
/// </summary>
[Collection<RunningApp>]
public sealed class RedisOutageTests(BoxofficeApp boxoffice)
{
    [Fact]
    public async Task With_Redis_stopped_requests_and_sign_in_still_work_and_the_gateway_stays_ready()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var key = await Tokens.SigningKeyAsync(boxoffice);
        var token = Tokens.Mint(key, await Tokens.IssuerAsync(boxoffice), $"tests-{Guid.NewGuid():N}", "catalog.write", ["organizer"]);
        var redisConnection = await boxoffice.ConnectionStringAsync("redis");
        var redisServer = boxoffice.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(resource => resource.Name == "redis-server");
        using var organizer = await Catalog.Organizer.NewAsync(boxoffice);
        var publishedBefore = await organizer.EventAsync("Published before the outage", "publish");

        var stopped = await boxoffice.App.ResourceCommands.ExecuteCommandAsync(redisServer, KnownResourceCommands.StopCommand, cancellationToken);
        Assert.True(stopped.Success, stopped.Message);
        try
        {
            Assert.False(await AnswersAsync(redisConnection), "Redis still answers after being stopped");
            // The AppHost has noticed too, so the restart below is seen as a recovery.
            await boxoffice.App.ResourceNotifications.WaitForResourceAsync("redis", change => change.Snapshot.HealthStatus != HealthStatus.Healthy, cancellationToken);
            using var gateway = boxoffice.CreateGatewayClient();

            using var organizerEvents = await gateway.SendAsync(Tokens.Get("/api/catalog/organizer/events", token), cancellationToken);
            Assert.Equal(HttpStatusCode.OK, organizerEvents.StatusCode);

            const string password = "correct horse battery staple";
            var email = await Tokens.RegisterBuyerAsync(boxoffice, password);
            var tokens = await Tokens.AuthorizationCodeAsync(boxoffice, email, password, "openid booking");
            Assert.Contains("booking", Tokens.Scopes(tokens.GetProperty("access_token").GetString()!));

            Assert.Equal("Healthy", await gateway.GetStringAsync("/health", cancellationToken));

            // The catalog reads from PostgreSQL without its Redis cache level, takes changes, and stays ready.
            var publishedDuring = await organizer.EventAsync("Published during the outage", "publish");
            foreach (var (id, name) in new[] { (publishedBefore, "Published before the outage"), (publishedDuring, "Published during the outage") })
            {
                var detail = await gateway.GetFromJsonAsync<JsonElement>($"/api/catalog/events/{id}", cancellationToken);
                Assert.Equal(name, detail.GetProperty("name").GetString());
            }

            using var catalog = new HttpClient { BaseAddress = boxoffice.App.GetEndpoint("catalog", "http") };
            for (var i = 0; i < BoxofficeApp.CatalogReplicas; i++)
            {
                Assert.Equal("Healthy", await catalog.GetStringAsync("/health", cancellationToken));
            }
        }
        finally
        {
            var started = await boxoffice.App.ResourceCommands.ExecuteCommandAsync(redisServer, KnownResourceCommands.StartCommand, CancellationToken.None);
            Assert.True(started.Success, started.Message);
            // Healthy again before the next test: as a client sees it and as the AppHost reports it.
            using var back = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            while (!await AnswersAsync(redisConnection))
            {
                await Task.Delay(250, back.Token);
            }

            await boxoffice.WaitUntilEverythingHealthyAsync(back.Token);
            await GatewayLimitsAgainAsync(redisConnection, back.Token);
            await SignInThrottleAgainAsync(redisConnection, back.Token);
        }
    }

    /// <summary>
    /// The gateway has no Redis health check (its limits fail open), and its client reconnects on
    /// its own schedule, seconds after Redis is back. Until the gateway's buckets are written to
    /// Redis again, through a few fresh connections (so both replicas), the next test's limits
    /// would not be enforced.
    /// </summary>
    private async Task GatewayLimitsAgainAsync(string redisConnection, CancellationToken cancellationToken)
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
    private async Task SignInThrottleAgainAsync(string redisConnection, CancellationToken cancellationToken)
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

    private static async Task<bool> AnswersAsync(string connectionString)
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
}
