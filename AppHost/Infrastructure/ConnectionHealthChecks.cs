using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using StackExchange.Redis;

namespace Boxoffice.AppHost.Infrastructure;

/// <summary>
/// Health checks that speak each resource's own protocol through its connection string, so
/// <c>WaitFor</c> waits until a real client gets an answer, in every infrastructure mode.
/// </summary>
internal static class ConnectionHealthChecks
{
    public static IResourceBuilder<T> WithRedisHealthCheck<T>(this IResourceBuilder<T> resource)
        where T : IResourceWithConnectionString
    {
        ConnectionMultiplexer? connection = null;
        return resource.WithConnectionHealthCheck(async (connectionString, cancellationToken) =>
        {
            connection ??= await ConnectionMultiplexer.ConnectAsync(connectionString + ",abortConnect=false,connectTimeout=2000");
            await connection.GetDatabase().PingAsync();
        });
    }

    public static IResourceBuilder<T> WithPostgresHealthCheck<T>(this IResourceBuilder<T> resource)
        where T : IResourceWithConnectionString =>
        resource.WithConnectionHealthCheck(async (connectionString, cancellationToken) =>
        {
            await using var connection = new NpgsqlConnection(connectionString + ";Timeout=3;Pooling=false");
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken);
        });

    /// <summary>A metadata request answered with a broker; signed in as <paramref name="login"/> where the broker asks for SASL.</summary>
    public static IResourceBuilder<T> WithKafkaHealthCheck<T>(this IResourceBuilder<T> resource, string? login = null, ParameterResource? password = null)
        where T : IResourceWithConnectionString
    {
        IAdminClient? admin = null;
        var creating = new SemaphoreSlim(1, 1);
        return resource.WithConnectionHealthCheck(async (connectionString, cancellationToken) =>
        {
            // One client for every probe: two probes at once must not each build one.
            await creating.WaitAsync(cancellationToken);
            try
            {
                if (admin is null)
                {
                    var config = new AdminClientConfig { BootstrapServers = connectionString, SocketTimeoutMs = 3000 };
                    if (login is not null && password is not null)
                    {
                        config.SecurityProtocol = SecurityProtocol.SaslPlaintext;
                        config.SaslMechanism = SaslMechanism.Plain;
                        config.SaslUsername = login;
                        config.SaslPassword = await password.GetValueAsync(cancellationToken);
                    }

                    admin = new AdminClientBuilder(config).SetLogHandler((_, _) => { }).Build();
                }
            }
            finally
            {
                creating.Release();
            }

            await Task.Run(() => Probe(admin), cancellationToken);
        });
    }

    private static void Probe(IAdminClient admin)
    {
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(3));
        if (metadata.Brokers.Count == 0)
        {
            throw new InvalidOperationException("The Kafka cluster reported no brokers.");
        }
    }

    /// <summary>Runs <paramref name="probe"/> with the resource's connection string once it is known.</summary>
    private static IResourceBuilder<T> WithConnectionHealthCheck<T>(
        this IResourceBuilder<T> resource, Func<string, CancellationToken, Task> probe)
        where T : IResourceWithConnectionString
    {
        var key = $"{resource.Resource.Name}_check";
        resource.ApplicationBuilder.Services.AddHealthChecks().AddAsyncCheck(key, async cancellationToken =>
        {
            try
            {
                // Health checks run once the resource is running, when its endpoints are allocated.
                var connectionString = await resource.Resource.GetConnectionStringAsync(cancellationToken)
                    ?? throw new InvalidOperationException("The connection string is not available yet.");
                await probe(connectionString, cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return HealthCheckResult.Unhealthy(exception.Message);
            }
        });
        return resource.WithHealthCheck(key);
    }
}
