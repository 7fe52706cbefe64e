using Boxoffice.Contracts.Booking;
using Boxoffice.Messaging.Outbox;
using Boxoffice.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace Boxoffice.Booking.Tickets;

/// <summary>Every statement on <c>tickets</c>: issue, read, check in.</summary>
internal static class TicketStore
{
    /// <summary>A batch statement issuing an order's tickets.</summary>
    public static NpgsqlBatchCommand IssueStatement(Guid orderId, Guid eventId, string buyerId, DateTimeOffset now, IReadOnlyList<NewTicket> tickets) =>
        Sql.Statement(
            """
            INSERT INTO tickets (ticket_id, order_id, event_id, unit_id, buyer_id, seat, code, issued_at)
            SELECT t.id, $1, $2, t.unit, $3, t.seat, t.code, $4 FROM unnest($5::uuid[], $6::bigint[], $7::text[], $8::text[]) AS t(id, unit, seat, code)
            """,
            orderId, eventId, buyerId, now,
            tickets.Select(t => t.TicketId).ToArray(), tickets.Select(t => t.UnitId).ToArray(), tickets.Select(t => t.Seat).ToArray(), tickets.Select(t => t.Code).ToArray());

    /// <summary>
    /// A page of a buyer's tickets, oldest first (by issue, then seat, then id), after the ticket
    /// <paramref name="after"/>; null when that is not one of the buyer's tickets. Keyset over
    /// <c>tickets_by_buyer</c>.
    /// </summary>
    public static async Task<Page<TicketView>?> ReadOfBuyerAsync(NpgsqlConnection connection, string buyerId, int limit, Guid? after, CancellationToken cancellationToken)
    {
        var (found, cursor) = await connection.AnchorAsync(
            after, "SELECT issued_at, seat FROM tickets WHERE ticket_id = $1 AND buyer_id = $2", buyerId,
            row => ((DateTimeOffset IssuedAt, string Seat)?)(row.GetFieldValue<DateTimeOffset>(0), row.GetString(1)), cancellationToken);
        if (!found)
        {
            return null;
        }

        var tickets = await ReadAsync(connection.Command(
            $"""
            {Select} WHERE buyer_id = $1 AND ($2::timestamptz IS NULL OR (issued_at, seat, ticket_id) > ($2, $3::text, $4::uuid))
            ORDER BY issued_at, seat, ticket_id
            LIMIT $5
            """,
            buyerId, Sql.Typed(cursor?.IssuedAt, NpgsqlDbType.TimestampTz), Sql.Typed(cursor?.Seat, NpgsqlDbType.Text), Sql.Typed(after, NpgsqlDbType.Uuid), limit + 1),
            cancellationToken);

        return Page.From(tickets, limit);
    }

    /// <summary>The tickets of one of a buyer's orders.</summary>
    public static Task<IReadOnlyList<TicketView>> ReadOfOrderAsync(NpgsqlConnection connection, Guid orderId, string buyerId, CancellationToken cancellationToken) =>
        ReadAsync(connection.Command($"{Select} WHERE order_id = $1 AND buyer_id = $2 {Order}", orderId, buyerId), cancellationToken);

    /// <summary>Admits a ticket of a confirmed order once: the first scan checks it in (TicketCheckedIn), every later one is a repeat.</summary>
    public static async Task<CheckIn> CheckInAsync(
        NpgsqlTransaction transaction, OutboxWriter outbox, Guid ticketId, string staffId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using (var admit = transaction.Command(
            """
            UPDATE tickets t SET checked_in_at = $2, checked_in_by = $3
            WHERE t.ticket_id = $1 AND t.checked_in_at IS NULL
              AND EXISTS (SELECT 1 FROM orders o WHERE o.order_id = t.order_id AND o.status = 'confirmed')
            RETURNING t.order_id, t.event_id, t.seat
            """,
            ticketId, now, staffId))
        await using (var reader = await admit.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                var (orderId, eventId, seat) = (reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2));
                await reader.DisposeAsync();
                await outbox.EnqueueAsync(transaction, new TicketCheckedIn(ticketId, orderId, eventId, now), cancellationToken);
                return new CheckIn.Admitted(new CheckInView(ticketId, eventId, seat, "checked-in", now));
            }
        }

        await using var earlier = transaction.Command(
            "SELECT t.checked_in_at, o.status FROM tickets t JOIN orders o ON o.order_id = t.order_id WHERE t.ticket_id = $1", ticketId);
        await using var row = await earlier.ExecuteReaderAsync(cancellationToken);
        if (!await row.ReadAsync(cancellationToken))
        {
            return new CheckIn.NotFound();
        }

        return row.GetString(1) != "confirmed"
            ? new CheckIn.Void(row.GetString(1))
            : new CheckIn.Repeat(new DateTimeOffset(DateTime.SpecifyKind(row.GetDateTime(0), DateTimeKind.Utc)));
    }

    private const string Select = "SELECT ticket_id, order_id, event_id, seat, code, issued_at, checked_in_at FROM tickets";
    private const string Order = "ORDER BY issued_at, seat";

    private static async Task<IReadOnlyList<TicketView>> ReadAsync(NpgsqlCommand select, CancellationToken cancellationToken)
    {
        await using (select)
        {
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            var tickets = new List<TicketView>();
            while (await reader.ReadAsync(cancellationToken))
            {
                tickets.Add(new TicketView(reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetString(3), reader.GetString(4),
                    reader.GetFieldValue<DateTimeOffset>(5), reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6)));
            }

            return tickets;
        }
    }
}
