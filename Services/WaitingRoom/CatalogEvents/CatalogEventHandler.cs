using Boxoffice.Contracts.Catalog;
using Boxoffice.Messaging;
using Boxoffice.Messaging.Inbox;
using Boxoffice.Postgres;
using Boxoffice.WaitingRoom.Queues;
using Npgsql;

namespace Boxoffice.WaitingRoom.CatalogEvents;

/// <summary>
/// Keeps each event's queue as the catalog says it is: its sale window, status and waiting room.
/// Changes of one event apply in version order: an older one arriving after a newer one is
/// ignored; one arriving before the event itself is retried. A closed or cancelled event closes
/// its queue. Every published event gets a row, with or without a waiting room, so that a waiting
/// room added later has the event to attach to.
/// </summary>
internal sealed partial class CatalogEventHandler(TimeProvider time, ILogger<CatalogEventHandler> logger) :
    IIntegrationEventHandler<EventPublished>, IIntegrationEventHandler<EventUpdated>, IIntegrationEventHandler<EventCancelled>
{
    public async Task HandleAsync(CloudEvent<EventPublished> message, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var published = message.Data;
        if (await QueueStore.InsertPublishedAsync(transaction, published, cancellationToken))
        {
            LogQueueChanged(published.EventId, EventStatusNames.Published, published.WaitingRoom is not null, published.Version);
        }
        else
        {
            LogStaleChange(published.EventId, published.Version);
        }
    }

    public async Task HandleAsync(CloudEvent<EventUpdated> message, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var updated = message.Data;
        Report(await QueueStore.ApplyUpdateAsync(transaction, updated, time.Now(), cancellationToken),
            updated.EventId, updated.Version, updated.Status.Name(), updated.WaitingRoom is not null);
    }

    public async Task HandleAsync(CloudEvent<EventCancelled> message, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var cancelled = message.Data;
        Report(await QueueStore.ApplyCancelledAsync(transaction, cancelled.EventId, cancelled.Version, time.Now(), cancellationToken),
            cancelled.EventId, cancelled.Version, EventStatusNames.Cancelled, waitingRoom: null);
    }

    private void Report(QueueChange change, Guid eventId, int version, string status, bool? waitingRoom)
    {
        switch (change)
        {
            case QueueChange.Unknown:
                // Overtook its EventPublished (a retry of that one is still due): try again later.
                throw new RetryLaterException($"Event {eventId} is not known yet.");
            case QueueChange.Stale:
                LogStaleChange(eventId, version);
                break;
            default:
                LogQueueChanged(eventId, status, waitingRoom, version);
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The queue of event {EventId} is now {Status}, waiting room {WaitingRoom} (version {Version})")]
    private partial void LogQueueChanged(Guid eventId, string status, bool? waitingRoom, int version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ignored version {Version} of event {EventId}: a newer one was applied")]
    private partial void LogStaleChange(Guid eventId, int version);
}
