using System.Net;

namespace Boxoffice.Tests.Gateway;

/// <summary>Services' probes and metrics are not reachable from outside through the gateway.</summary>
[Collection<RunningApp>]
public sealed class InternalEndpointsTests(BoxofficeApp boxoffice)
{
    [Theory]
    [InlineData("/api/catalog/health")]
    [InlineData("/api/catalog/alive")]
    [InlineData("/api/catalog/metrics")]
    [InlineData("/api/CATALOG/Metrics")]
    [InlineData("/api/catalog/health/")]
    public async Task A_services_probes_and_metrics_are_hidden_behind_the_gateway(string path)
    {
        using var gateway = boxoffice.CreateGatewayClient();

        using var response = await gateway.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("Healthy", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}
