using Boxoffice.Contracts;
using Confluent.Kafka;

namespace Boxoffice.Tests.Catalog;

internal static class CatalogEvents
{
    /// <summary>
    /// A consumer of catalog.events from the topic's start, in a group of its own. Tests pick
    /// their own messages out by key: every test event has a new id.
    /// </summary>
    public static async Task<IConsumer<string, byte[]>> SubscribeAsync(BoxofficeApp boxoffice)
    {
        var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = await boxoffice.ConnectionStringAsync("kafka"),
            GroupId = $"tests-{Guid.NewGuid():N}",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SessionTimeoutMs = 6000,
        }).Build();
        consumer.Subscribe(Topics.CatalogEvents);
        return consumer;
    }
}
