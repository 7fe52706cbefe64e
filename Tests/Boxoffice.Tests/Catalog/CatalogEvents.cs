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

    /// <summary>Messages a consumer read while looking for another: events of different ids travel on different partitions, in no order between them.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IConsumer<string, byte[]>, List<Message<string, byte[]>>> Passed = [];

    /// <summary>
    /// The next message about <paramref name="eventId"/> of the given CloudEvents type, among those
    /// read already while looking for others first, then from the topic. The wait is generous: a
    /// new consumer group joins and reads the topic from its start on a busy machine.
    /// </summary>
    public static Message<string, byte[]> Next(IConsumer<string, byte[]> consumer, Guid eventId, string type, TimeSpan? within = null)
    {
        var passed = Passed.GetOrCreateValue(consumer);
        bool Wanted(Message<string, byte[]> message) => message.Key == eventId.ToString() && CloudEvent.PeekType(message.Value) == type;
        if (passed.FindIndex(Wanted) is var index and >= 0)
        {
            var found = passed[index];
            passed.RemoveAt(index);
            return found;
        }

        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200))?.Message is not { } message)
            {
                continue;
            }

            if (Wanted(message))
            {
                return message;
            }

            passed.Add(message);
        }

        throw new Xunit.Sdk.XunitException($"No {type} for event {eventId} arrived on {Topics.CatalogEvents}.");
    }
}
