using Boxoffice.Booking.Inventory;
using Boxoffice.Contracts.Catalog;
using Boxoffice.Postgres;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Boxoffice.Booking.Orders;

/// <summary>
/// Counts the sale for the gauges operators watch (places sold, held and available per event whose
/// sale is open now, not one in its pre-queue;
/// orders pending and overdue) every <see cref="BookingOptions.GaugeInterval"/>, from the database, so
/// a scrape never waits on it. Every replica counts the same rows, at most one interval apart
/// (dashboards and rules take the max). Two statements; a failed count keeps the last numbers and
/// tries again at the next tick.
/// </summary>
internal sealed partial class SaleCounter(NpgsqlDataSource db, IOptions<BookingOptions> options, TimeProvider time, ILogger<SaleCounter> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.GaugeInterval, time);
        do
        {
            try
            {
                BookingMetrics.Counted(await CountAsync(stoppingToken));
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                LogCountFailed(exception.GetType().Name);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    internal Task<SaleCounts> CountAsync(CancellationToken cancellationToken)
    {
        var now = time.Now();
        var overdueBefore = now - options.Value.PaymentGrace;
        return db.ReadAsync(async connection =>
        {
            var places = new List<EventPlaces>();
            await using (var count = connection.Command(
                $"""
                SELECT u.event_id,
                       count(*) FILTER (WHERE u.order_id IS NOT NULL),
                       count(*) FILTER (WHERE u.order_id IS NULL AND NOT ({UnitStore.IsFree("u.", "$2")})),
                       count(*) FILTER (WHERE {UnitStore.IsFree("u.", "$2")})
                FROM units u JOIN events e ON e.event_id = u.event_id
                WHERE e.status = $1 AND e.sale_opens_at <= $2 AND e.sale_closes_at > $2
                GROUP BY u.event_id
                """, EventStatusNames.OnSale, now))
            await using (var reader = await count.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    places.Add(new EventPlaces(reader.GetGuid(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
                }
            }

            // The partial index orders_pending (pay_by, status = 'pending-payment') answers both.
            await using var orders = connection.Command(
                "SELECT count(*), count(*) FILTER (WHERE pay_by <= $1) FROM orders WHERE status = 'pending-payment'", overdueBefore);
            await using var ordersReader = await orders.ExecuteReaderAsync(cancellationToken);
            await ordersReader.ReadAsync(cancellationToken);
            return new SaleCounts(places, ordersReader.GetInt64(0), ordersReader.GetInt64(1));
        }, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Counting the sale for its gauges failed ({Error}); the gauges keep the last count")]
    private partial void LogCountFailed(string error);
}
