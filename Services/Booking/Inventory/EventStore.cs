using Boxoffice.Contracts.Catalog;
using Boxoffice.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace Boxoffice.Booking.Inventory;

/// <summary>Booking's copy of the catalog's events and their price tiers: every statement on <c>events</c> and <c>tiers</c>.</summary>
internal static class EventStore
{
    /// <summary>Creates a published event and its tiers; false when it exists already (a redelivery).</summary>
    public static async Task<bool> InsertPublishedAsync(NpgsqlTransaction transaction, EventPublished published, CancellationToken cancellationToken)
    {
        await using (var insert = transaction.Command(
            """
            INSERT INTO events (event_id, version, organizer_id, name, currency, status, starts_at, sale_opens_at, sale_closes_at, waiting_room, ticket_limit)
            VALUES ($1, $2, $3, $4, $5, 'published', $6, $7, $8, $9, $10) ON CONFLICT (event_id) DO NOTHING
            """,
            published.EventId, published.Version, published.OrganizerId, published.Name, published.Currency,
            published.StartsAt.ToUniversalTime(), published.SaleOpensAt.ToUniversalTime(), published.SaleClosesAt.ToUniversalTime(),
            published.WaitingRoom is not null, Sql.Typed(published.TicketLimit, NpgsqlDbType.Integer)))
        {
            if (await insert.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return false;
            }
        }

        var capacity = published.Sections.GroupBy(section => section.TierId).ToDictionary(group => group.Key, group => group.Sum(section => section.Capacity));
        await using var tiers = transaction.Command(
            "INSERT INTO tiers (tier_id, event_id, name, price, capacity) SELECT t.id, $1, t.name, t.price, t.capacity FROM unnest($2::uuid[], $3::text[], $4::numeric[], $5::int[]) AS t(id, name, price, capacity)",
            published.EventId,
            published.Tiers.Select(tier => tier.TierId).ToArray(),
            published.Tiers.Select(tier => tier.Name).ToArray(),
            published.Tiers.Select(tier => tier.Price).ToArray(),
            published.Tiers.Select(tier => capacity.GetValueOrDefault(tier.TierId)).ToArray());
        await tiers.ExecuteNonQueryAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Sets the status and, when given, the <paramref name="terms"/> (the sale window, whether the
    /// event has a waiting room, its ticket limit), if <paramref name="version"/> is newer than the
    /// stored one. Without terms (a cancellation) they stay as they are.
    /// </summary>
    public static async Task<EventChange> ApplyChangeAsync(
        NpgsqlTransaction transaction, Guid eventId, int version, string status, EventTerms? terms, CancellationToken cancellationToken)
    {
        await using (var update = transaction.Command(
            """
            UPDATE events SET version = $2, status = $3, sale_opens_at = coalesce($4, sale_opens_at), sale_closes_at = coalesce($5, sale_closes_at),
                waiting_room = coalesce($6, waiting_room), ticket_limit = CASE WHEN $7 THEN $8 ELSE ticket_limit END
            WHERE event_id = $1 AND version < $2
            RETURNING 1
            """,
            eventId, version, status, terms?.SaleOpensAt.ToUniversalTime(), terms?.SaleClosesAt.ToUniversalTime(), terms?.WaitingRoom,
            terms is not null, Sql.Typed(terms?.TicketLimit, NpgsqlDbType.Integer)))
        {
            if (await update.ExecuteScalarAsync(cancellationToken) is not null)
            {
                return EventChange.Applied;
            }
        }

        await using var exists = transaction.Command("SELECT version FROM events WHERE event_id = $1", eventId);
        return await exists.ExecuteScalarAsync(cancellationToken) is null ? EventChange.Unknown : EventChange.Stale;
    }

    /// <summary>A batch statement that reads the event's status: one row, or none for an event booking does not know.</summary>
    public static NpgsqlBatchCommand StatusStatement(Guid eventId) => Sql.Statement("SELECT status FROM events WHERE event_id = $1", eventId);
}
