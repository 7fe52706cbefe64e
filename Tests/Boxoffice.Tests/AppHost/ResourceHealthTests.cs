using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Boxoffice.Tests.AppHost;

[Collection<RunningApp>]
public sealed class ResourceHealthTests(BoxofficeApp boxoffice)
{
    [Fact]
    public void The_embedded_mode_runs_every_server_and_service()
    {
        string[] expected = ["redis-server", "redis", "kafka-broker", "kafka", "postgres", "catalogdb", "catalog", "gateway"];

        Assert.Equivalent(expected, boxoffice.Resources.Select(resource => resource.Name), strict: true);
    }

    [Fact]
    public void Every_resource_is_running_and_healthy()
    {
        foreach (var resource in boxoffice.Resources)
        {
            Assert.True(boxoffice.App.ResourceNotifications.TryGetCurrentState(resource.Name, out var current), resource.Name);
            Assert.Equal((resource.Name, KnownResourceStates.Running), (resource.Name, current.Snapshot.State?.Text));
            Assert.Equal((resource.Name, HealthStatus.Healthy), (resource.Name, current.Snapshot.HealthStatus));
        }
    }
}
