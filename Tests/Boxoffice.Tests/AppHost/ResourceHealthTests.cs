using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Boxoffice.Tests.AppHost;

[Collection<RunningApp>]
public sealed class ResourceHealthTests(BoxofficeApp boxoffice)
{
    [Fact]
    public void The_embedded_mode_runs_every_server_and_service()
    {
        string[] expected = ["redis-server", "redis", "kafka-broker", "kafka", "postgres", "identitydb", "catalogdb", "bookingdb", "paymentsdb", "providerdb",
            "waitingroomdb", "identity", "catalog", "booking", "waiting-room", "payment-provider", "payments", "storefront", "gateway", "prometheus"];

        Assert.True(boxoffice.Resources.Any(resource => resource.Name == "prometheus"),
            "The app runs no Prometheus: the AppHost starts it when the binary is installed (apt-get install prometheus).");
        Assert.Equivalent(expected, boxoffice.Resources.Select(resource => resource.Name), strict: true);
    }

    [Fact]
    public void Every_resource_and_replica_was_running_and_healthy_once_started()
    {
        var instances = boxoffice.InstancesWhenStarted;
        Assert.Equal(BoxofficeApp.GatewayReplicas, instances.Values.Count(instance => instance.Resource.Name == "gateway"));
        Assert.Equal(BoxofficeApp.WaitingRoomReplicas, instances.Values.Count(instance => instance.Resource.Name == "waiting-room"));
        foreach (var (id, instance) in instances)
        {
            Assert.Equal((id, KnownResourceStates.Running), (id, instance.Snapshot.State?.Text));
            Assert.Equal((id, HealthStatus.Healthy), (id, instance.Snapshot.HealthStatus));
        }
    }

    [Fact]
    public void A_replicas_own_health_is_asked_where_its_process_listens()
    {
        var booking = boxoffice.Instances.Values.First(instance => instance.Resource.Name == "booking");
        var gateway = boxoffice.Instances.Values.First(instance => instance.Resource.Name == "gateway");
        var redis = boxoffice.Instances.Values.First(instance => instance.Resource.Name == "redis-server");
        Uri? Own(ResourceEvent instance, params (string Name, string Value)[] environment) =>
            Boxoffice.AppHost.ReplicaPorts.OwnHealth(instance.Resource, instance.Snapshot with
            {
                EnvironmentVariables = [.. environment.Select(variable => new EnvironmentVariableSnapshot(variable.Name, variable.Value, IsFromSpec: true))],
            });

        // Kestrel listens on ASPNETCORE_URLS when it is set (its first http address; no http one, no
        // address of ours), and on HTTP_PORTS only without it.
        Assert.Equal(new Uri("http://127.0.0.1:21001/health"), Own(booking, ("HTTP_PORTS", "21002"), ("ASPNETCORE_URLS", "https://localhost:21003;http://+:21001")));
        Assert.Equal(new Uri("http://127.0.0.1:21002/health"), Own(booking, ("HTTP_PORTS", "21002;21004")));
        Assert.Null(Own(booking, ("ASPNETCORE_URLS", "https://localhost:21003"), ("HTTP_PORTS", "21002")));
        // The gateway answers probes on its management port only.
        Assert.Equal(new Uri("http://127.0.0.1:21005/health"), Own(gateway, ("HTTP_PORTS", "21002"), ("Management__Port", "21005")));
        Assert.Null(Own(gateway, ("HTTP_PORTS", "21002")));
        // Not given a port yet; and not a Boxoffice service at all.
        Assert.Null(Own(booking));
        Assert.False(Boxoffice.AppHost.ReplicaPorts.HasOwnHealth(redis.Resource));
        Assert.True(Boxoffice.AppHost.ReplicaPorts.HasOwnHealth(booking.Resource));
    }
}
