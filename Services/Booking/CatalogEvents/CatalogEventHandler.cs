using Boxoffice.Booking.Inventory;
using Boxoffice.Booking.Orders;
using Boxoffice.Contracts.Catalog;
using Boxoffice.Messaging;
using Boxoffice.Messaging.Inbox;
using Npgsql;

namespace Boxoffice.Booking.CatalogEvents;

/// <summary>
/// Keeps booking's copy of the catalog: an event and its units when it is published, its status,
/// sale window, whether it has a waiting room and its ticket limit as they change. Changes of one event apply in version order: an older one
/// arriving after a newer one is ignored; one arriving before the event itself is retried.
/// A cancelled event cancels its orders.
/// </summary>
internal sealed partial class CatalogEventHandler(OrderFulfilment fulfilment, ILogger<CatalogEventHandler> logger) :
    IIntegrationEventHandler<EventPublished>, IIntegrationEventHandler<EventUpdated>, IIntegrationEventHandler<EventCancelled>
{
    public async Task HandleAsync(CloudEvent<EventPublished> message, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var published = message.Data;
        if (!await EventStore.InsertPublishedAsync(transaction, published, cancellationToken))
        {
            return;
        }

        var units = Units(published).ToList();
        await UnitStore.InsertAsync(transaction, published.EventId, units, cancellationToken);
        LogInventoryBuilt(published.EventId, units.Count);
    }

    /// <summary>Every update carries the event's waiting room and ticket limit as they are now: none is none.</summary>
    public async Task HandleAsync(CloudEvent<EventUpdated> message, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var updated = message.Data;
        await ApplyAsync(transaction, updated.EventId, updated.Version, updated.Status,
            new EventTerms(updated.SaleOpensAt, updated.SaleClosesAt, updated.WaitingRoom is not null, updated.TicketLimit), cancellationToken);
    }

    /// <summary>Nothing more is sold, and every order of the event, paid or not, is cancelled: Payments refunds the paid ones.</summary>
    public async Task HandleAsync(CloudEvent<EventCancelled> message, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        if (await ApplyAsync(transaction, message.Data.EventId, message.Data.Version, EventStatus.Cancelled, null, cancellationToken))
        {
            await fulfilment.CancelEventOrdersAsync(transaction, message.Data.EventId, cancellationToken);
        }
    }

    /// <summary>Applies a change of the event; false when a newer one was applied already.</summary>
    private async Task<bool> ApplyAsync(NpgsqlTransaction transaction, Guid eventId, int version, EventStatus status, EventTerms? terms, CancellationToken cancellationToken)
    {
        switch (await EventStore.ApplyChangeAsync(transaction, eventId, version, status.Name(), terms, cancellationToken))
        {
            case EventChange.Unknown:
                // Overtook its EventPublished (a retry of that one is still due): try again later.
                throw new RetryLaterException($"Event {eventId} is not known yet.");
            case EventChange.Stale:
                LogStaleChange(eventId, version);
                return false;
            default:
                LogEventChanged(eventId, status.Name(), version);
                return true;
        }
    }

    private static IEnumerable<(Guid TierId, Place Place)> Units(EventPublished published)
    {
        foreach (var section in published.Sections)
        {
            if (section.Kind == SectionKind.GeneralAdmission)
            {
                for (var place = 1; place <= section.Capacity; place++)
                {
                    yield return (section.TierId, new Place(section.Name, null, place));
                }

                continue;
            }

            foreach (var row in section.Rows)
            {
                for (var seat = 1; seat <= row.Seats; seat++)
                {
                    yield return (section.TierId, new Place(section.Name, row.Label, seat));
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Built the inventory of event {EventId}: {Units} units")]
    private partial void LogInventoryBuilt(Guid eventId, int units);

    [LoggerMessage(Level = LogLevel.Information, Message = "Event {EventId} is now {Status} (version {Version})")]
    private partial void LogEventChanged(Guid eventId, string status, int version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ignored version {Version} of event {EventId}: a newer one was applied")]
    private partial void LogStaleChange(Guid eventId, int version);
}
