using Boxoffice.Contracts;
using Boxoffice.Messaging;
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

    /// <summary>The next message about <paramref name="eventId"/> of the given CloudEvents type, skipping others.</summary>
    public static Message<string, byte[]> Next(IConsumer<string, byte[]> consumer, Guid eventId, string type, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result?.Message is { } message && message.Key == eventId.ToString() && CloudEvent.PeekType(message.Value) == type)
            {
                return message;
            }
        }

        throw new Xunit.Sdk.XunitException($"No {type} for event {eventId} arrived on {Topics.CatalogEvents}.");
    }
}
