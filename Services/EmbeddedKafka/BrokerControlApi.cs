namespace Boxoffice.EmbeddedKafka;

/// <summary>
/// Control endpoints for fault injection: take the broker down and bring it back. Bound to
/// loopback by the AppHost; the embedded mode never runs outside a developer machine or CI.
/// </summary>
internal static class BrokerControlApi
{
    public static IEndpointRouteBuilder MapBrokerControlApi(this IEndpointRouteBuilder routes)
    {
        var broker = routes.MapGroup("/broker");
        broker.MapGet("/", (MockCluster cluster) => TypedResults.Ok(new BrokerState(cluster.IsUp)));
        broker.MapPost("/down", (MockCluster cluster) =>
        {
            cluster.SetDown();
            return TypedResults.Ok(new BrokerState(cluster.IsUp));
        });
        broker.MapPost("/up", (MockCluster cluster) =>
        {
            cluster.SetUp();
            return TypedResults.Ok(new BrokerState(cluster.IsUp));
        });
        return routes;
    }

    internal sealed record BrokerState(bool Up);
}
