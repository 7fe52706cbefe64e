using Npgsql;

namespace Boxoffice.FlashSale;

/// <summary>One hop of an order's way to its tickets: its median and 99th percentile over the orders that went all the way.</summary>
public sealed record OrderHop(string Name, double P50Ms, double P99Ms, int Orders);

/// <summary>
/// Where an order's time went between booking and payments, read from the services' own outbox and
/// inbox rows (every timestamp is PostgreSQL's clock): booking's relay (OrderPlaced written to
/// published), Kafka to payments (published to handled), the charge and payments' relay (handled to
/// PaymentSucceeded published), Kafka to booking (published to handled). Shared by the flash-sale
/// harness and bench/BookingLoad (linked there), so both name and measure the hops alike. The relay
/// marks a row published after the broker's acknowledgement, so a consumer can start on it a few
/// milliseconds earlier (a hop just below zero), and a row sent again after a relay crash carries
/// the second sending's time.
/// </summary>
public static class OrderHops
{
    public static async Task<IReadOnlyList<OrderHop>> MeasureAsync(NpgsqlDataSource booking, NpgsqlDataSource payments, IReadOnlyCollection<string> orderIds, CancellationToken cancellationToken)
    {
        var ids = orderIds.ToArray();
        var placed = await OutboxRowsAsync(booking, "boxoffice.booking.order-placed", ids, cancellationToken);
        var paid = await OutboxRowsAsync(payments, "boxoffice.payments.payment-succeeded", ids, cancellationToken);
        var paymentsHandled = await InboxAsync(payments, "payments", [.. placed.Values.Select(row => row.Id)], cancellationToken);
        var bookingHandled = await InboxAsync(booking, "booking-payments", [.. paid.Values.Select(row => row.Id)], cancellationToken);
        var hops = new (string Name, List<double> Values)[]
        {
            ("relay_booking", []), ("to_payments", []), ("charge_and_relay_payments", []), ("to_booking", []),
        };
        foreach (var (order, placedRow) in placed)
        {
            if (!paid.TryGetValue(order, out var paidRow) || !paymentsHandled.TryGetValue(placedRow.Id, out var charged)
                || !bookingHandled.TryGetValue(paidRow.Id, out var confirmed))
            {
                continue;
            }

            hops[0].Values.Add((placedRow.Published - placedRow.Created).TotalMilliseconds);
            hops[1].Values.Add((charged - placedRow.Published).TotalMilliseconds);
            hops[2].Values.Add((paidRow.Published - charged).TotalMilliseconds);
            hops[3].Values.Add((confirmed - paidRow.Published).TotalMilliseconds);
        }

        return [.. hops.Select(hop => Summarize(hop.Name, hop.Values))];
    }

    private static OrderHop Summarize(string name, List<double> values)
    {
        var sorted = values.Order().ToArray();
        return new OrderHop(name, Percentiles.Of(sorted, 0.50), Percentiles.Of(sorted, 0.99), sorted.Length);
    }

    private static async Task<Dictionary<string, (Guid Id, DateTime Created, DateTime Published)>> OutboxRowsAsync(
        NpgsqlDataSource db, string type, string[] keys, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT key, message_id, created_at, published_at FROM outbox WHERE type = $1 AND key = ANY($2) AND published_at IS NOT NULL");
        command.Parameters.Add(new() { Value = type });
        command.Parameters.Add(new() { Value = keys });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new Dictionary<string, (Guid, DateTime, DateTime)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows[reader.GetString(0)] = (reader.GetGuid(1), reader.GetDateTime(2), reader.GetDateTime(3));
        }

        return rows;
    }

    private static async Task<Dictionary<Guid, DateTime>> InboxAsync(NpgsqlDataSource db, string consumer, Guid[] messageIds, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT message_id, handled_at FROM inbox WHERE consumer = $1 AND message_id = ANY($2)");
        command.Parameters.Add(new() { Value = consumer });
        command.Parameters.Add(new() { Value = messageIds });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var handled = new Dictionary<Guid, DateTime>();
        while (await reader.ReadAsync(cancellationToken))
        {
            handled[reader.GetGuid(0)] = reader.GetDateTime(1);
        }

        return handled;
    }
}
