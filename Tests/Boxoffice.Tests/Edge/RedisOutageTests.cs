using System.Net.Http.Json;
using System.Text.Json;
using System.Net;

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
        using var organizer = await Catalog.Organizer.NewAsync(boxoffice);
        var publishedBefore = await organizer.EventAsync("Published before the outage", "publish");

        try
        {
            // Stopped, and the AppHost has noticed too, so the restart below is seen as a recovery.
            await RedisServer.StopAsync(boxoffice, cancellationToken);
            using var gateway = boxoffice.CreateGatewayClient();

            using var organizerEvents = await gateway.SendAsync(Tokens.Get("/api/catalog/organizer/events", token), cancellationToken);
            Assert.Equal(HttpStatusCode.OK, organizerEvents.StatusCode);

            const string password = "correct horse battery staple";
            var email = await Tokens.RegisterBuyerAsync(boxoffice, password);
            var tokens = await Tokens.AuthorizationCodeAsync(boxoffice, email, password, "openid booking");
            Assert.Contains("booking", Tokens.Scopes(tokens.GetProperty("access_token").GetString()!));

            using (var management = new HttpClient { BaseAddress = boxoffice.App.GetEndpoint("gateway", "management") })
            {
                Assert.Equal("Healthy", await management.GetStringAsync("/health", cancellationToken));
            }

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
            // Healthy again before the next test: as a client sees it and as the AppHost reports it.
            await RedisServer.StartAsync(boxoffice);
            await RedisServer.RecoveredAsync(boxoffice);
        }
    }
}
