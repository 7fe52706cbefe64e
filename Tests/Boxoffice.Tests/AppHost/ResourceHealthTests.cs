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
}
