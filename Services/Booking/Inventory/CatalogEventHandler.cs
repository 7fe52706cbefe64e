using Boxoffice.Contracts.Catalog;
using Boxoffice.Messaging;
using Boxoffice.Messaging.Inbox;
using Npgsql;
using NpgsqlTypes;
using Boxoffice.Messaging.Postgres;

namespace Boxoffice.Booking.Inventory;

/// <summary>
/// Keeps booking's copy of the catalog: an event and its units when it is published, its status
/// and sale window as they change. Changes of one event apply in version order: an older one
/// arriving after a newer one is ignored; one arriving before the event itself is retried.
/// </summary>
internal sealed partial class CatalogEventHandler(Orders.OrderFulfilment fulfilment, ILogger<CatalogEventHandler> logger) :
    IIntegrationEventHandler<EventPublished>, IIntegrationEventHandler<EventUpdated>, IIntegrationEventHandler<EventCancelled>
{
    public async Task HandleAsync(CloudEvent<EventPublished> message, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var published = message.Data;
        await using (var insert = transaction.Command(
            """
            INSERT INTO events (event_id, version, organizer_id, name, currency, status, starts_at, sale_opens_at, sale_closes_at)
            VALUES ($1, $2, $3, $4, $5, 'published', $6, $7, $8) ON CONFLICT (event_id) DO NOTHING
            """,
            published.EventId, published.Version, published.OrganizerId, published.Name, published.Currency,
            published.StartsAt.ToUniversalTime(), published.SaleOpensAt.ToUniversalTime(), published.SaleClosesAt.ToUniversalTime()))
        {
            if (await insert.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return;
            }
        }

        var capacity = published.Sections.GroupBy(section => section.TierId).ToDictionary(group => group.Key, group => group.Sum(section => section.Capacity));
        await using (var tiers = transaction.Command(
            "INSERT INTO tiers (tier_id, event_id, name, price, capacity) SELECT t.id, $1, t.name, t.price, t.capacity FROM unnest($2::uuid[], $3::text[], $4::numeric[], $5::int[]) AS t(id, name, price, capacity)",
            published.EventId,
            published.Tiers.Select(tier => tier.TierId).ToArray(),
            published.Tiers.Select(tier => tier.Name).ToArray(),
            published.Tiers.Select(tier => tier.Price).ToArray(),
            published.Tiers.Select(tier => capacity.GetValueOrDefault(tier.TierId)).ToArray()))
        {
            await tiers.ExecuteNonQueryAsync(cancellationToken);
        }

        var units = Units(published).ToList();
        await using (var insertUnits = transaction.Command(
            "INSERT INTO units (event_id, tier_id, section, row_label, seat) SELECT $1, u.tier, u.section, u.row_label, u.seat FROM unnest($2::uuid[], $3::text[], $4::text[], $5::int[]) AS u(tier, section, row_label, seat)",
            published.EventId,
            units.Select(unit => unit.TierId).ToArray(),
            units.Select(unit => unit.Section).ToArray(),
            units.Select(unit => unit.Row).ToArray(),
            units.Select(unit => unit.Seat).ToArray()))
        {
            insertUnits.CommandTimeout = 120;
            await insertUnits.ExecuteNonQueryAsync(cancellationToken);
        }

        LogInventoryBuilt(published.EventId, units.Count);
    }

    public async Task HandleAsync(CloudEvent<EventUpdated> message, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        await ApplyAsync(transaction, message.Data.EventId, message.Data.Version, message.Data.Status, message.Data.SaleOpensAt, message.Data.SaleClosesAt, cancellationToken);

    /// <summary>Nothing more is sold, and every order of the event, paid or not, is cancelled: Payments refunds the paid ones.</summary>
    public async Task HandleAsync(CloudEvent<EventCancelled> message, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        if (await ApplyAsync(transaction, message.Data.EventId, message.Data.Version, EventStatus.Cancelled, null, null, cancellationToken))
        {
            await fulfilment.CancelEventOrdersAsync(transaction, message.Data.EventId, cancellationToken);
        }
    }

    /// <summary>Applies a change of the event; false when a newer one was applied already.</summary>
    private async Task<bool> ApplyAsync(
        NpgsqlTransaction transaction, Guid eventId, int version, EventStatus status, DateTimeOffset? opens, DateTimeOffset? closes, CancellationToken cancellationToken)
    {
        await using var update = transaction.Command(
            """
            UPDATE events SET version = $2, status = $3, sale_opens_at = coalesce($4, sale_opens_at), sale_closes_at = coalesce($5, sale_closes_at)
            WHERE event_id = $1 AND version < $2
            RETURNING 1
            """,
            eventId, version, Statuses.Of(status), opens?.ToUniversalTime(), closes?.ToUniversalTime());
        if (await update.ExecuteScalarAsync(cancellationToken) is null)
        {
            await using var exists = transaction.Command("SELECT version FROM events WHERE event_id = $1", eventId);
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                // Overtook its EventPublished (a retry of that one is still due): try again later.
                throw new RetryLaterException($"Event {eventId} is not known yet.");
            }

            LogStaleChange(eventId, version);
            return false;
        }

        LogEventChanged(eventId, Statuses.Of(status), version);
        return true;
    }

    private static IEnumerable<(Guid TierId, string Section, string? Row, int Seat)> Units(EventPublished published)
    {
        foreach (var section in published.Sections)
        {
            if (section.Kind == SectionKind.GeneralAdmission)
            {
                for (var place = 1; place <= section.Capacity; place++)
                {
                    yield return (section.TierId, section.Name, null, place);
                }

                continue;
            }

            foreach (var row in section.Rows)
            {
                for (var seat = 1; seat <= row.Seats; seat++)
                {
                    yield return (section.TierId, section.Name, row.Label, seat);
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

/// <summary>Event statuses as booking stores them (the catalog's names on the wire).</summary>
internal static class Statuses
{
    public const string OnSale = "on-sale";

    public static string Of(EventStatus status) => status switch
    {
        EventStatus.Draft => "draft",
        EventStatus.Published => "published",
        EventStatus.OnSale => OnSale,
        EventStatus.Closed => "closed",
        EventStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };
}
