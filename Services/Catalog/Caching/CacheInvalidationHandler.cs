using Boxoffice.Messaging;
using Confluent.Kafka;

namespace Boxoffice.Catalog.Caching;

/// <summary>
/// Every replica reads the catalog's own events (each in a consumer group of its own) and drops
/// what it cached about the event a message is about: a change made through one replica is
/// seen through all of them, not only after the in-memory entry expires.
/// </summary>
internal sealed partial class CacheInvalidationHandler(CatalogCache cache, ILogger<CacheInvalidationHandler> logger) : IKafkaMessageHandler
{
    public async Task HandleAsync(ConsumeResult<string, byte[]> message, CancellationToken cancellationToken)
    {
        // The key is the event's id (the aggregate id of every catalog event).
        if (!Guid.TryParse(message.Message.Key, out var eventId))
        {
            LogUnknownKey(message.Message.Key);
            return;
        }

        await cache.InvalidateEventAsync(eventId, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A catalog event with key {Key} names no event; nothing to invalidate")]
    private partial void LogUnknownKey(string key);
}
