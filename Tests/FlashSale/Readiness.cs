using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Boxoffice.FlashSale;

/// <summary>When an AppHost is ready for a crowd: shared by the harness's own AppHost and the test suite's.</summary>
public static class Readiness
{
    /// <summary>
    /// Every resource but parameters has all its replicas running and healthy. A hidden helper
    /// Aspire adds (a project's rebuilder, which runs only when asked) counts as ready.
    /// </summary>
    public static bool EverythingHealthy(DistributedApplicationModel model, IEnumerable<ResourceEvent> instances)
    {
        var known = instances.ToList();
        return model.Resources.Where(resource => resource is not ParameterResource).All(resource =>
        {
            var replicas = known.Where(instance => instance.Resource == resource).ToList();
            return replicas.Any(instance => instance.Snapshot.IsHidden)
                || (replicas.Count >= (resource.Annotations.OfType<ReplicaAnnotation>().FirstOrDefault()?.Replicas ?? 1)
                    && replicas.All(instance => instance.Snapshot.State?.Text == KnownResourceStates.Running
                        && instance.Snapshot.HealthStatus == HealthStatus.Healthy));
        });
    }
}
