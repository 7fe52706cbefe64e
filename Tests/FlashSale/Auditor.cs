using Npgsql;

namespace Boxoffice.FlashSale;

/// <summary>
/// One invariant's verdict, with the ids that break it. <paramref name="Settles"/>: read from the
/// databases, so it may still come true while the last payments and events drain; otherwise it is
/// what the crowd saw, final when the crowd is done.
/// </summary>
public sealed record Verdict(string Invariant, bool Passed, string Detail, IReadOnlyList<string> Offending, bool Settles = true);

/// <summary>
/// Reads the services' databases and the provider's records after the sale and says whether
/// Boxoffice kept its promises. Each service's database is read on its own, as each service owns
/// it; the auditor joins them in memory, by order id, the way an accountant reconciles ledgers.
/// </summary>
public sealed class Auditor(SaleTarget target, Sale sale, DateTimeOffset since, int buyerCap, TimeSpan paymentGrace) : IAsyncDisposable
{
    private readonly NpgsqlDataSource _booking = Open(target, "bookingdb");
    private readonly NpgsqlDataSource _payments = Open(target, "paymentsdb");
    private readonly NpgsqlDataSource _provider = Open(target, "providerdb");
    private readonly NpgsqlDataSource _catalog = Open(target, "catalogdb");

    /// <summary>Places sold (tickets), held by unexpired holds, and orders still waiting for payment: the live picture.</summary>
    public async Task<(long Sold, long Held, long Pending)> CountAsync(CancellationToken cancellationToken)
    {
        var sold = await ScalarAsync(_booking, "SELECT count(*) FROM tickets WHERE event_id = $1", cancellationToken, sale.EventId);
        var held = await ScalarAsync(_booking,
            "SELECT count(*) FROM units u JOIN holds h ON h.hold_id = u.hold_id WHERE u.event_id = $1 AND u.order_id IS NULL AND h.status = 'active' AND h.expires_at > now()",
            cancellationToken, sale.EventId);
        var pending = await ScalarAsync(_booking, "SELECT count(*) FROM orders WHERE event_id = $1 AND status = 'pending-payment'", cancellationToken, sale.EventId);
        return (sold, held, pending);
    }

    /// <summary>Places in confirmed orders, by buyer (the token's subject): who ended up with the sale.</summary>
    public async Task<Dictionary<string, long>> PlacesByBuyerAsync(CancellationToken cancellationToken) =>
        (await RowsAsync(_booking,
            "SELECT buyer_id, sum(units)::bigint FROM orders WHERE event_id = $1 AND status = 'confirmed' GROUP BY buyer_id",
            reader => (Buyer: reader.GetString(0), Places: reader.GetInt64(1)), cancellationToken, [sale.EventId]))
        .ToDictionary(row => row.Buyer, row => row.Places);

    /// <summary>Where this sale's orders spent their time between booking and payments (<see cref="OrderHops"/>).</summary>
    public async Task<IReadOnlyList<OrderHop>> OrderHopsAsync(CancellationToken cancellationToken) =>
        await OrderHops.MeasureAsync(_booking, _payments, [.. (await OrdersAsync(cancellationToken)).Keys.Select(id => id.ToString())], cancellationToken);

    public async Task<IReadOnlyList<Verdict>> AuditAsync(Stats stats, Outcomes outcomes, CancellationToken cancellationToken)
    {
        var orders = await OrdersAsync(cancellationToken);
        var charges = await ChargesAsync(orders.Keys, cancellationToken);
        return
        [
            await CapacityAsync(cancellationToken),
            await UnitsAsync(cancellationToken),
            ConfirmedCharged(orders, charges),
            CancelledRefunded(orders, charges),
            await NothingPendingAsync(cancellationToken),
            await DeliveryAsync(cancellationToken),
            await BuyerCapAsync(cancellationToken),
            NoServerErrors(stats),
            HostileRefused(outcomes),
        ];
    }

    private async Task<Verdict> CapacityAsync(CancellationToken cancellationToken)
    {
        var sold = await ScalarAsync(_booking, "SELECT count(*) FROM tickets WHERE event_id = $1", cancellationToken, sale.EventId);
        var units = await ScalarAsync(_booking, "SELECT count(*) FROM units WHERE event_id = $1", cancellationToken, sale.EventId);
        return new("sold <= capacity", sold <= sale.Seats && units == sale.Seats,
            $"{sold} tickets for {sale.Seats} places ({units} units in booking)", []);
    }

    /// <summary>A place belongs to at most one confirmed order, and a confirmed order's places are exactly its tickets.</summary>
    private async Task<Verdict> UnitsAsync(CancellationToken cancellationToken)
    {
        var offending = await ListAsync(_booking, """
            SELECT 'order ' || o.order_id || ': ' || o.units || ' places, ' || count(t.ticket_id) || ' tickets, '
                   || count(t.ticket_id) FILTER (WHERE u.order_id IS DISTINCT FROM o.order_id) || ' on places of another order'
            FROM orders o
            LEFT JOIN tickets t ON t.order_id = o.order_id
            LEFT JOIN units u ON u.unit_id = t.unit_id
            WHERE o.event_id = $1 AND o.status = 'confirmed'
            GROUP BY o.order_id, o.units
            HAVING count(t.ticket_id) <> o.units OR count(t.ticket_id) FILTER (WHERE u.order_id IS DISTINCT FROM o.order_id) > 0
            UNION ALL
            SELECT 'unit ' || u.unit_id || ': kept by ' || o.status || ' order ' || o.order_id
            FROM units u JOIN orders o ON o.order_id = u.order_id
            WHERE u.event_id = $1 AND o.status NOT IN ('confirmed', 'pending-payment')
            UNION ALL
            SELECT 'unit ' || unit_id || ': ' || count(*) || ' tickets' FROM tickets WHERE event_id = $1 GROUP BY unit_id HAVING count(*) > 1
            """, cancellationToken, sale.EventId);
        var sold = await ScalarAsync(_booking, "SELECT count(*) FROM units u JOIN orders o ON o.order_id = u.order_id WHERE u.event_id = $1 AND o.status = 'confirmed'", cancellationToken, sale.EventId);
        return new("no place in two confirmed orders", offending.Count == 0, $"{sold} places sold, each in one confirmed order with its ticket", offending);
    }

    private static Verdict ConfirmedCharged(Dictionary<Guid, Order> orders, Dictionary<Guid, Charge> charges)
    {
        var confirmed = orders.Values.Where(order => order.Status == "confirmed").ToList();
        var offending = confirmed
            .Select(order => (order, charge: charges.GetValueOrDefault(order.Id)))
            .Where(pair => pair.charge is not { Status: "succeeded", Refunded: 0 } || pair.charge.Amount != pair.order.Amount)
            .Select(pair => $"order {pair.order.Id}: {(pair.charge is null ? "no charge" : $"charge {pair.charge.Status}, {pair.charge.Amount} charged, {pair.charge.Refunded} refunded, order {pair.order.Amount}")}")
            .ToList();
        var kept = charges.Values.Count(charge => charge is { Status: "succeeded" } && charge.Refunded < charge.Amount);
        if (kept != confirmed.Count)
        {
            offending.AddRange(charges.Values
                .Where(charge => charge.Status == "succeeded" && charge.Refunded < charge.Amount && orders[charge.OrderId].Status != "confirmed")
                .Select(charge => $"order {charge.OrderId} ({orders[charge.OrderId].Status}): charge kept"));
        }

        return new("confirmed orders = successful charges, one each", offending.Count == 0,
            $"{confirmed.Count} confirmed orders, {kept} charges kept at the provider", offending);
    }

    private static Verdict CancelledRefunded(Dictionary<Guid, Order> orders, Dictionary<Guid, Charge> charges)
    {
        var cancelled = orders.Values.Where(order => order.Status is "cancelled" or "refunded").ToList();
        var charged = cancelled.Where(order => charges.GetValueOrDefault(order.Id) is { Status: "succeeded" }).ToList();
        var offending = charged
            .Where(order => charges[order.Id].Refunded != charges[order.Id].Amount)
            .Select(order => $"order {order.Id} ({order.Status}, {order.Reason}): {charges[order.Id].Amount} charged, {charges[order.Id].Refunded} refunded")
            .ToList();
        // Why they were cancelled (a payment declined, none in time, ...): under faults, what the crowd lost its orders to.
        var reasons = string.Join(", ", cancelled.GroupBy(order => order.Reason ?? "no reason").OrderByDescending(group => group.Count())
            .ThenBy(group => group.Key, StringComparer.Ordinal).Select(group => $"{group.Count()} {group.Key}"));
        return new("every charge of a cancelled order refunded", offending.Count == 0,
            $"{cancelled.Count} cancelled orders{(cancelled.Count == 0 ? "" : $" ({reasons})")}, {charged.Count} of them charged, {charged.Count - offending.Count} refunded in full", offending);
    }

    private async Task<Verdict> NothingPendingAsync(CancellationToken cancellationToken)
    {
        var offending = await ListAsync(_booking,
            "SELECT 'order ' || order_id || ': pending since ' || created_at || ', pay by ' || pay_by FROM orders WHERE event_id = $1 AND status = 'pending-payment' AND pay_by + $2 < now()",
            cancellationToken, sale.EventId, paymentGrace);
        var pending = await ScalarAsync(_booking, "SELECT count(*) FROM orders WHERE event_id = $1 AND status = 'pending-payment'", cancellationToken, sale.EventId);
        return new("no order pending past its deadline", offending.Count == 0, $"{pending} orders pending, {offending.Count} of them past pay-by + grace", offending);
    }

    /// <summary>
    /// Every event the services wrote to their outboxes since the sale began was published, and
    /// every one a consumer group handles is in that consumer's inbox: booking's order events in
    /// Payments', Payments' results in booking's, the catalog's events of the sale in booking's.
    /// An event missing from an inbox is listed with what the ledgers know of it (whether it left
    /// the outbox, and where its order stands on the other side), so a reader can tell an event
    /// still being retried from one that was lost. Either way it is a FAIL.
    /// </summary>
    private async Task<Verdict> DeliveryAsync(CancellationToken cancellationToken)
    {
        var offending = new List<string>();
        var details = new List<string>();
        foreach (var (name, db) in new[] { ("booking", _booking), ("payments", _payments), ("catalog", _catalog) })
        {
            offending.AddRange(await ListAsync(db,
                "SELECT '" + name + " outbox ' || message_id || ' (' || type || '): ' || CASE WHEN failed_at IS NULL THEN 'not published' ELSE 'parked: ' || coalesce(last_error, '') END " +
                "FROM outbox WHERE created_at >= $1 AND published_at IS NULL", cancellationToken, since));
        }

        async Task Consumed(string route, NpgsqlDataSource source, string sourceFilter, NpgsqlDataSource consumerDb, string consumer, Func<IReadOnlyList<Guid>, Task<Dictionary<Guid, string>>>? whereOrdersStand)
        {
            var sent = await IdsAsync(source, $"SELECT message_id FROM outbox WHERE created_at >= $1 AND {sourceFilter}", cancellationToken, since, sale.EventId.ToString());
            var handled = sent.Count == 0 ? [] : await IdsAsync(consumerDb, "SELECT message_id FROM inbox WHERE consumer = $1 AND message_id = ANY($2)", cancellationToken, consumer, sent.ToArray());
            details.Add($"{route} {handled.Count}/{sent.Count}");
            var missing = sent.Except(handled).ToArray();
            if (missing.Length == 0)
            {
                return;
            }

            var events = await UndeliveredAsync(source, missing, cancellationToken);
            var orders = events.Select(e => e.OrderId).OfType<Guid>().Distinct().ToList();
            var standing = whereOrdersStand is null || orders.Count == 0 ? [] : await whereOrdersStand(orders);
            offending.AddRange(events.Select(e => $"{route}: {e.Id} ({e.Type}{(e.OrderId is { } order ? $", order {order}" : "")}, {e.Outbox}) not in {consumer}'s inbox"
                + (e.OrderId is { } id && standing.TryGetValue(id, out var known) ? $"; {known}" : "")));
        }

        await Consumed("booking.orders -> payments", _booking, "topic = 'booking.orders' AND type IN ('boxoffice.booking.order-placed', 'boxoffice.booking.order-cancelled') AND $2 <> ''", _payments, "payments", PaymentsSideAsync);
        await Consumed("payments -> booking", _payments, "topic = 'payments' AND $2 <> ''", _booking, "booking-payments", BookingSideAsync);
        await Consumed("catalog.events -> booking", _catalog, "topic = 'catalog.events' AND key = $2", _booking, "booking-catalog", null);
        return new("every outbox event delivered", offending.Count == 0, string.Join(", ", details), offending);

        // Payments' row of each order (none while a retried event's transaction keeps rolling back)
        // and the provider's charge, keyed by the order id.
        async Task<Dictionary<Guid, string>> PaymentsSideAsync(IReadOnlyList<Guid> orders)
        {
            var payments = await FactsAsync(_payments,
                "SELECT order_id, status || coalesce(' (last error: ' || left(last_error, 120) || ')', '') FROM payments WHERE order_id = ANY($1)", orders.ToArray(), cancellationToken);
            var charges = await FactsAsync(_provider,
                "SELECT idempotency_key::uuid, status FROM charges WHERE idempotency_key = ANY($1)", orders.Select(order => order.ToString()).ToArray(), cancellationToken);
            return orders.ToDictionary(order => order, order =>
                $"payments: {payments.GetValueOrDefault(order) ?? "no row"}; provider: {(charges.GetValueOrDefault(order) is { } charge ? $"charge {charge}" : "no charge")}");
        }

        async Task<Dictionary<Guid, string>> BookingSideAsync(IReadOnlyList<Guid> orders)
        {
            var booking = await FactsAsync(_booking,
                "SELECT order_id, status || coalesce(' (' || cancel_reason || ')', '') FROM orders WHERE order_id = ANY($1)", orders.ToArray(), cancellationToken);
            return orders.ToDictionary(order => order, order => $"booking: order {booking.GetValueOrDefault(order) ?? "not found"}");
        }
    }

    /// <summary>An outbox row not in its consumer's inbox: its type (short), its order (the key, when it is one) and whether it left the outbox.</summary>
    private sealed record Undelivered(Guid Id, string Type, Guid? OrderId, string Outbox);

    private static async Task<List<Undelivered>> UndeliveredAsync(NpgsqlDataSource source, Guid[] ids, CancellationToken cancellationToken) =>
        await RowsAsync(source, """
            SELECT message_id, type, key,
                   CASE WHEN published_at IS NOT NULL THEN 'published ' || to_char(published_at, 'HH24:MI:SS.MS')
                        WHEN failed_at IS NOT NULL THEN 'parked in the outbox: ' || coalesce(last_error, '')
                        ELSE 'still in the outbox' END
            FROM outbox WHERE message_id = ANY($1) ORDER BY id
            """,
            reader => new Undelivered(
                reader.GetGuid(0),
                reader.GetString(1)[(reader.GetString(1).LastIndexOf('.') + 1)..],
                Guid.TryParse(reader.GetString(2), out var order) ? order : null,
                reader.GetString(3)),
            cancellationToken, [ids]);

    /// <summary>One line of facts per order id, from a query answering (order id, text).</summary>
    private static async Task<Dictionary<Guid, string>> FactsAsync(NpgsqlDataSource db, string sql, object orders, CancellationToken cancellationToken) =>
        (await RowsAsync(db, sql, reader => (Id: reader.GetGuid(0), Text: reader.GetString(1)), cancellationToken, [orders]))
            .ToDictionary(row => row.Id, row => row.Text);

    /// <summary>
    /// No buyer has more than the event's cap: the organizer's ticket limit, as the catalog has it
    /// (what booking was told to honour), never more than booking's own cap (<c>buyerCap</c>,
    /// Booking:MaxUnitsPerBuyer); booking's cap alone for an event without a limit.
    /// </summary>
    private async Task<Verdict> BuyerCapAsync(CancellationToken cancellationToken)
    {
        var limit = (await RowsAsync(_catalog, "SELECT ticket_limit FROM events WHERE id = $1",
            reader => reader.IsDBNull(0) ? (int?)null : reader.GetInt32(0), cancellationToken, [sale.EventId])).SingleOrDefault();
        var cap = Math.Min(limit ?? buyerCap, buyerCap);
        var offending = await ListAsync(_booking,
            "SELECT 'buyer ' || buyer_id || ': ' || sum(units) || ' places' FROM orders WHERE event_id = $1 AND status IN ('confirmed', 'pending-payment') GROUP BY buyer_id HAVING sum(units) > $2",
            cancellationToken, sale.EventId, cap);
        var most = await ScalarAsync(_booking,
            "SELECT coalesce(max(n), 0) FROM (SELECT sum(units) AS n FROM orders WHERE event_id = $1 AND status = 'confirmed' GROUP BY buyer_id) AS b", cancellationToken, sale.EventId);
        var source = limit is { } set ? $"the event's ticket limit is {set}, booking's cap {buyerCap}" : $"no ticket limit, booking's cap {buyerCap}";
        return new($"no buyer over the cap of {cap}", offending.Count == 0, $"the most one buyer bought: {most} ({source})", offending);
    }

    private static Verdict NoServerErrors(Stats stats)
    {
        var errors = stats.ServerErrorsToWellFormed.ToList();
        return new("no 5xx to a well-formed request", errors.Count == 0, $"{errors.Count} answers 5xx", errors, Settles: false);
    }

    private static Verdict HostileRefused(Outcomes outcomes)
    {
        var failures = outcomes.HostileFailures.ToList();
        return new("hostile requests refused with a 4xx", failures.Count == 0, $"{outcomes.HostileRequests} hostile requests, {failures.Count} not refused", failures, Settles: false);
    }

    private sealed record Order(Guid Id, string Status, string? Reason, decimal Amount);

    private sealed record Charge(Guid OrderId, string Status, decimal Amount, decimal Refunded);

    private async Task<Dictionary<Guid, Order>> OrdersAsync(CancellationToken cancellationToken)
    {
        var orders = new Dictionary<Guid, Order>();
        await using var command = _booking.CreateCommand("SELECT order_id, status, cancel_reason, amount FROM orders WHERE event_id = $1");
        command.Parameters.Add(new() { Value = sale.EventId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var order = new Order(reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetDecimal(3));
            orders[order.Id] = order;
        }

        return orders;
    }

    /// <summary>The provider's charges for these orders (Payments charges with the order id as idempotency key).</summary>
    private async Task<Dictionary<Guid, Charge>> ChargesAsync(IEnumerable<Guid> orderIds, CancellationToken cancellationToken)
    {
        var charges = new Dictionary<Guid, Charge>();
        await using var command = _provider.CreateCommand("SELECT idempotency_key, status, amount, refunded_amount FROM charges WHERE idempotency_key = ANY($1)");
        command.Parameters.Add(new() { Value = orderIds.Select(id => id.ToString()).ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var charge = new Charge(Guid.Parse(reader.GetString(0)), reader.GetString(1), reader.GetDecimal(2), reader.GetDecimal(3));
            charges[charge.OrderId] = charge;
        }

        return charges;
    }

    private static NpgsqlDataSource Open(SaleTarget target, string name) =>
        NpgsqlDataSource.Create(target.Databases.TryGetValue(name, out var connection)
            ? connection
            : throw new InvalidOperationException($"The audit needs the connection string of {name} (--db {name}=...)."));

    private static async Task<long> ScalarAsync(NpgsqlDataSource db, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = Command(db, sql, parameters);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static Task<List<string>> ListAsync(NpgsqlDataSource db, string sql, CancellationToken cancellationToken, params object[] parameters) =>
        RowsAsync(db, sql, reader => reader.GetString(0), cancellationToken, parameters);

    private static async Task<HashSet<Guid>> IdsAsync(NpgsqlDataSource db, string sql, CancellationToken cancellationToken, params object[] parameters) =>
        [.. await RowsAsync(db, sql, reader => reader.GetGuid(0), cancellationToken, parameters)];

    private static async Task<List<T>> RowsAsync<T>(NpgsqlDataSource db, string sql, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken, object[] parameters)
    {
        await using var command = Command(db, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    private static NpgsqlCommand Command(NpgsqlDataSource db, string sql, object[] parameters)
    {
        var command = db.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new() { Value = parameter });
        }

        return command;
    }

    public async ValueTask DisposeAsync()
    {
        await _booking.DisposeAsync();
        await _payments.DisposeAsync();
        await _provider.DisposeAsync();
        await _catalog.DisposeAsync();
    }
}
