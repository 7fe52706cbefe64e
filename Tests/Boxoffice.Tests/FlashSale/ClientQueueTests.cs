using Boxoffice.FlashSale;

namespace Boxoffice.Tests.FlashSale;

/// <summary>
/// The harness's <c>client_queue_p99_ms</c>: the wait of requests for one of its connections to the
/// gateway, so a report says when its latencies include the load generator's own queue.
/// </summary>
[Collection<RunningApp>]
public sealed class ClientQueueTests(BoxofficeApp boxoffice)
{
    [Fact]
    public async Task Requests_sent_at_once_over_one_connection_are_counted_as_waiting_and_other_servers_are_not()
    {
        const int Requests = 20;
        var gateway = boxoffice.App.GetEndpoint("gateway", "http");
        var other = boxoffice.App.GetEndpoint("storefront", "http");
        using var toGateway = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = gateway };
        using var toOther = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = other };
        using var queue = new ClientQueue(gateway);

        await Task.WhenAll(Enumerable.Range(0, Requests).Select(async _ =>
        {
            // Whatever the answer (a 429 included): the wait for the connection is what is measured.
            using var response = await toGateway.GetAsync("/api/catalog/events", TestContext.Current.CancellationToken);
        }));
        var afterGateway = queue.Figures();
        await Task.WhenAll(Enumerable.Range(0, Requests).Select(async _ =>
        {
            using var response = await toOther.GetAsync("/alive", TestContext.Current.CancellationToken);
        }));
        var afterOther = queue.Figures();

        // The handler has no connection yet: every request waits, the first for it to open, the others
        // for their turn on it, each recorded once (19 if the first found it open).
        Assert.InRange(afterGateway.Waited, Requests - 1, Requests);
        Assert.True(afterGateway.MaxMs > 0, $"Longest wait {afterGateway.MaxMs} ms.");
        Assert.InRange(afterGateway.P99Ms, 0, afterGateway.MaxMs);
        Assert.Equal(afterGateway, afterOther);
    }
}
