using Boxoffice.Contracts;
using Boxoffice.Tests.Messaging;
using Confluent.Kafka;

namespace Boxoffice.Tests.Catalog;

internal static class CatalogEvents
{
    /// <summary>
    /// A consumer of catalog.events from the topic's start, in a group of its own. Tests pick
    /// their own messages out by key: every test event has a new id.
    /// </summary>
    public static async Task<IConsumer<string, byte[]>> SubscribeAsync(BoxofficeApp boxoffice) =>
        KafkaTestReader.From(await boxoffice.ConnectionStringAsync("kafka"), Topics.CatalogEvents);
}
