using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Boxoffice.EmbeddedKafka;

/// <summary>Ready when the forwarder accepts clients; a broker set down on purpose reports degraded.</summary>
internal sealed class BrokerHealthCheck(MockCluster cluster, KafkaForwarder forwarder) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(
            !forwarder.IsListening ? HealthCheckResult.Unhealthy("The Kafka port is not listening.")
            : !cluster.IsUp ? HealthCheckResult.Degraded("The broker was set down through the control API.")
            : HealthCheckResult.Healthy());
}
