using Confluent.Kafka;

namespace Boxoffice.Tests.Messaging;

/// <summary>A consumer that reads a topic from its start in a group of its own, as a test looks at what was sent.</summary>
internal static class KafkaTestReader
{
    public static IConsumer<string, byte[]> From(string kafka, string topic)
    {
        var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = kafka,
            GroupId = $"tests-{Guid.NewGuid():N}",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            // A rejoining member must not wait out a long session (the embedded broker).
            SessionTimeoutMs = 6000,
        })
            // librdkafka writes its log to stderr unless told otherwise: a broker stopped by a
            // test would bury the test run's summary under reconnection lines.
            .SetLogHandler((_, _) => { })
            .Build();
        consumer.Subscribe(topic);
        return consumer;
    }
}
