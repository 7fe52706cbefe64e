using Microsoft.Extensions.DependencyInjection;
using System.Net;

namespace Boxoffice.Tests.AppHost;

/// <summary>
/// The external mode runs the services against infrastructure it did not start, given only
/// connection strings. Here that infrastructure is the embedded one of the running app, so a
/// second AppHost in external mode must reach it, turn healthy and serve through its gateway.
/// </summary>
[Collection<RunningApp>]
public sealed class ExternalModeTests(BoxofficeApp boxoffice)
{
    [Fact]
    public async Task The_external_mode_serves_from_the_connection_strings_it_is_given()
    {
        // A second AppHost starts every service again on a machine that runs the first: its gateway
        // waits for the chain of dependencies to turn healthy (about a minute alone, over three
        // on two busy cores). The bound only keeps a broken start from hanging the suite.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(8));
        string[] connections = ["redis", "kafka", "identitydb", "catalogdb", "bookingdb", "paymentsdb", "providerdb", "waitingroomdb"];
        // No demo events (the catalog is the running app's) and no Prometheus of its own (the suite's app has one).
        var arguments = new List<string> { "--infra", "external", "--Demo:Sales=false", "--Prometheus:Enabled=false" };
        foreach (var name in connections)
        {
            arguments.Add($"--ConnectionStrings:{name}={await boxoffice.ConnectionStringAsync(name)}");
        }

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>([.. arguments], timeout.Token);
        // Its identity registers the clients again in the identity database it shares with the
        // running app: with the running app's public address for the storefront, or the running
        // app's storefront could sign nobody in after this test (its redirect would be unknown).
        var running = boxoffice.App.GetEndpoint("gateway", "http").GetLeftPart(UriPartial.Authority);
        builder.CreateResourceBuilder<ProjectResource>("identity")
            .WithEnvironment("Identity__Clients__boxoffice-storefront__RedirectUris__0", $"{running}/signin-oidc")
            .WithEnvironment("Identity__Clients__boxoffice-storefront__PostLogoutRedirectUris__0", $"{running}/signout-callback-oidc");
        BoxofficeApp.CompileForShortRuns(builder);
        await using var external = await builder.BuildAsync(timeout.Token);
        await external.StartAsync(timeout.Token);
        await external.ResourceNotifications.WaitForResourceHealthyAsync("gateway", timeout.Token);

        var model = external.Services.GetRequiredService<DistributedApplicationModel>();
        Assert.DoesNotContain(model.Resources, resource => resource.Name is "postgres" or "redis-server" or "kafka-broker");
        using var gateway = new HttpClient { BaseAddress = external.GetEndpoint("gateway", "http") };
        using var response = await gateway.GetAsync("/api/catalog/events", timeout.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
