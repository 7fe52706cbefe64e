using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Boxoffice.Tests.Edge;

/// <summary>The identity server's signing key lives in identitydb: a restart keeps it, so issued tokens stay valid.</summary>
[Collection<RunningApp>]
public sealed class IdentityRestartTests(BoxofficeApp boxoffice)
{
    [Fact]
    public async Task After_a_restart_the_identity_server_signs_with_the_same_key_and_earlier_tokens_still_work()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var before = await Tokens.ClientCredentialsAsync(boxoffice, "catalog.read catalog.write");
        var identity = boxoffice.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(resource => resource.Name == "identity");

        var restarted = await boxoffice.App.ResourceCommands.ExecuteCommandAsync(identity, KnownResourceCommands.RestartCommand, cancellationToken);
        Assert.True(restarted.Success, restarted.Message);
        using var back = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        back.CancelAfter(TimeSpan.FromMinutes(2));
        await boxoffice.WaitUntilEverythingHealthyAsync(back.Token);
        using (var probe = boxoffice.CreateGatewayClient())
        {
            // Serving again, whatever the last health snapshot said.
            while ((await probe.GetAsync("/.well-known/jwks", back.Token)).StatusCode != HttpStatusCode.OK)
            {
                await Task.Delay(250, back.Token);
            }
        }

        var after = await Tokens.ClientCredentialsAsync(boxoffice, "catalog.read catalog.write");

        Assert.Equal(new JsonWebToken(before).Kid, new JsonWebToken(after).Kid);
        using var gateway = boxoffice.CreateGatewayClient();
        foreach (var token in new[] { before, after })
        {
            using var response = await gateway.SendAsync(Tokens.Get("/api/catalog/organizer/events", token), cancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }
}
