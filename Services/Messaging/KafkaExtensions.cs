using Boxoffice.Messaging;
using Boxoffice.Messaging.Admin;
using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Registers Kafka clients from the <c>kafka</c> connection string (a bootstrap server list, as
/// the AppHost hands it over in every infrastructure mode). What every client of the service
/// shares, such as its SASL login where the broker asks for one, is under
/// <c>Messaging:Kafka:Client</c>; producers' and consumers' own settings can be overridden under
/// <c>Messaging:Kafka:Producer</c> and <c>Messaging:Kafka:Consumer</c>.
/// </summary>
public static class KafkaExtensions
{
    public const string DefaultConnectionName = "kafka";

    /// <summary>Adds <see cref="KafkaPublisher"/> (an idempotent, acks=all producer) and the Kafka health check.</summary>
    public static IHostApplicationBuilder AddKafkaProducer(this IHostApplicationBuilder builder, string connectionName = DefaultConnectionName)
    {
        var client = ClientConfig<ClientConfig>(builder.Configuration, connectionName, section: null);
        builder.Services.TryAddSingleton(services =>
        {
            var config = ClientConfig<ProducerConfig>(builder.Configuration, connectionName, "Messaging:Kafka:Producer");
            // Exactly the broker's acknowledgement is the publisher's promise: no loss, no duplicates from retries.
            config.Acks = Acks.All;
            config.EnableIdempotence = true;
            config.LingerMs ??= 5;
            // A message not delivered in 30 s is reported failed (the default is 5 minutes), so its
            // sender retries it itself instead of librdkafka keeping a copy queued behind its back.
            config.MessageTimeoutMs ??= 30_000;
            // Small messages are sent at once, not held back by Nagle's algorithm.
            config.SocketNagleDisable ??= true;
            var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Boxoffice.Messaging.KafkaProducer");
            return new ProducerBuilder<string, byte[]>(config)
                .SetLogHandler((_, message) => logger.LogDebug("Kafka producer {Facility}: {Text}", message.Facility, message.Message))
                .SetErrorHandler((_, error) => logger.LogWarning("Kafka producer error {ErrorCode}: {Reason}", error.Code, error.Reason))
                .Build();
        });
        builder.Services.TryAddSingleton<KafkaPublisher>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        // For the operators' endpoints (MapMessagingAdmin): reads dead-letter topics with clients of its own.
        builder.Services.TryAddSingleton(services => ActivatorUtilities.CreateInstance<DeadLetterReader>(services,
            () => ClientConfig<ConsumerConfig>(builder.Configuration, connectionName, "Messaging:Kafka:Consumer")));
        builder.AddKafkaHealthCheck(client);
        return builder;
    }

    /// <summary>
    /// Consumes <paramref name="topic"/> as <paramref name="groupId"/> and hands each message to
    /// <typeparamref name="THandler"/>. Also adds the producer, which parks poison messages on the
    /// dead-letter topic after <paramref name="maxAttempts"/> failed attempts (retried in place).
    /// <paramref name="configure"/> adjusts this consumer's client settings (after configuration,
    /// before the commit policy).
    /// </summary>
    public static IHostApplicationBuilder AddKafkaConsumer<THandler>(
        this IHostApplicationBuilder builder, string topic, string groupId, int maxAttempts = 3, string connectionName = DefaultConnectionName,
        Action<ConsumerConfig>? configure = null)
        where THandler : class, IKafkaMessageHandler
    {
        builder.Services.TryAddScoped<THandler>();
        return builder.AddKafkaSubscription(
            new KafkaSubscription(topic, groupId, services => services.GetRequiredService<THandler>(), maxAttempts), connectionName, configure: configure);
    }

    /// <summary>
    /// Runs <paramref name="consumers"/> consumers of the subscription's topic in this process (the
    /// group's partitions are shared among them, so that many messages are handled at once), and,
    /// when it uses a retry topic, as many of that (a retry waiting for its due time holds up only
    /// its own partition's consumer).
    /// </summary>
    public static IHostApplicationBuilder AddKafkaSubscription(
        this IHostApplicationBuilder builder, KafkaSubscription subscription, string connectionName = DefaultConnectionName, int consumers = 1,
        Action<ConsumerConfig>? configure = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(subscription.MaxAttempts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(consumers, 1);
        builder.AddKafkaProducer(connectionName);
        // What the service consumes: the operators' endpoints show only these topics' dead letters.
        builder.Services.AddSingleton(subscription);
        builder.Services.TryAddSingleton(TimeProvider.System);
        var retry = new KafkaRetryOptions();
        builder.Configuration.GetSection("Messaging:Kafka:Retry").Bind(retry);
        for (var i = 0; i < subscription.ClientsFor(consumers); i++)
        {
            var retryTopic = i >= consumers;
            builder.Services.AddSingleton<IHostedService>(services =>
            {
                var config = ClientConfig<ConsumerConfig>(builder.Configuration, connectionName, "Messaging:Kafka:Consumer");
                config.GroupId = subscription.GroupId;
                configure?.Invoke(config);
                config.AutoOffsetReset ??= AutoOffsetReset.Earliest;
                config.SocketNagleDisable ??= true;
                // How long a fetch may wait at the broker for data. The embedded broker waits it
                // out even when data arrives, so the default (500 ms) added half a second to every
                // hop (bench/booking.sh: OrderPlaced -> TicketsIssued p50 827 ms at 500, 370 at 50,
                // 176 at 10). A real broker answers early; raise it there
                // (Messaging:Kafka:Consumer:FetchWaitMaxMs) to send fewer idle fetches.
                config.FetchWaitMaxMs ??= 10;
                if (retryTopic)
                {
                    // A retry is due no sooner than Retry:FirstDelay after its failure, so its consumer
                    // can wait a quarter of that per fetch: an idle consumer of the main topic sends
                    // about 100 empty fetches a second to the embedded broker, one of a retry topic 4.
                    // (No more than a second: FirstDelay is not bounded, librdkafka's fetch wait is.)
                    config.FetchWaitMaxMs = Math.Max(config.FetchWaitMaxMs.Value, (int)Math.Min(retry.FirstDelay.TotalMilliseconds / 4, 1000));
                }

                // Offsets are stored by the consumer loop after the handler, then committed in the background.
                config.EnableAutoCommit = true;
                config.EnableAutoOffsetStore = false;
                config.PartitionAssignmentStrategy ??= PartitionAssignmentStrategy.CooperativeSticky;
                // A rejoining member must not wait out a long session (seen with the embedded broker).
                config.SessionTimeoutMs ??= 6000;
                // A retry may wait out its pause (at most MaxDelay) between two polls.
                config.MaxPollIntervalMs ??= (int)Math.Max(300_000, retry.MaxDelay.TotalMilliseconds * 4);
                return ActivatorUtilities.CreateInstance<KafkaConsumerService>(services, subscription, config, retryTopic, retry);
            });
        }

        return builder;
    }

    /// <summary>
    /// A client's settings: what every client of the service shares (<c>Messaging:Kafka:Client</c>,
    /// e.g. <c>SecurityProtocol</c>, <c>SaslMechanism</c>, <c>SaslUsername</c>, <c>SaslPassword</c>),
    /// then the client kind's own <paramref name="section"/>, then the bootstrap servers of the
    /// connection string.
    /// </summary>
    internal static T ClientConfig<T>(IConfiguration configuration, string connectionName, string? section)
        where T : ClientConfig, new()
    {
        var config = new T();
        configuration.GetSection("Messaging:Kafka:Client").Bind(config);
        if (section is not null)
        {
            configuration.GetSection(section).Bind(config);
        }

        config.BootstrapServers = BootstrapServers(configuration, connectionName);
        return config;
    }

    private static void AddKafkaHealthCheck(this IHostApplicationBuilder builder, ClientConfig client)
    {
        if (builder.Services.Any(service => service.ServiceType == typeof(KafkaHealthCheck)))
        {
            return;
        }

        builder.Services.AddSingleton(new KafkaHealthCheck(client));
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            "kafka", services => services.GetRequiredService<KafkaHealthCheck>(), HealthStatus.Unhealthy, ["ready"]));
    }

    private static string BootstrapServers(IConfiguration configuration, string connectionName) =>
        configuration.GetConnectionString(connectionName) is { Length: > 0 } servers
            ? servers
            : throw new InvalidOperationException(
                $"The Kafka connection string 'ConnectionStrings:{connectionName}' is missing: run the service from the AppHost, or set it to a bootstrap server list (host:port).");
}
