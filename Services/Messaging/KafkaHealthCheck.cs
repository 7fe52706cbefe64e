using Confluent.Kafka;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Boxoffice.Messaging;

/// <summary>Healthy when the cluster answers a metadata request with at least one broker.</summary>
internal sealed class KafkaHealthCheck(ClientConfig client) : IHealthCheck, IDisposable
{
    private readonly Lazy<IAdminClient> _admin = new(() =>
        new AdminClientBuilder(new AdminClientConfig(client) { SocketTimeoutMs = 5000 })
            .SetLogHandler((_, _) => { })
            .Build());

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.Run(() =>
        {
            try
            {
                var metadata = _admin.Value.GetMetadata(TimeSpan.FromSeconds(3));
                return metadata.Brokers.Count > 0
                    ? HealthCheckResult.Healthy()
                    : HealthCheckResult.Unhealthy("The Kafka cluster reported no brokers.");
            }
            catch (KafkaException exception)
            {
                return HealthCheckResult.Unhealthy($"Kafka did not answer: {exception.Error.Reason}");
            }
        }, cancellationToken);

    public void Dispose()
    {
        if (_admin.IsValueCreated)
        {
            _admin.Value.Dispose();
        }
    }
}
