using Boxoffice.Contracts.Booking;
using Boxoffice.Messaging.Outbox;
using Microsoft.Extensions.Options;
using Npgsql;
using Boxoffice.Messaging.Postgres;

namespace Boxoffice.Booking.Orders;

/// <summary>
/// Ends what ran out of time: active holds past their expiry (units freed, HoldExpired) and
/// orders still waiting for payment after their hold's expiry plus the grace period (cancelled,
/// units freed, OrderCancelled, so a payment still in flight is refunded). Every replica sweeps;
/// rows are taken with FOR UPDATE SKIP LOCKED, so each is ended by exactly one of them.
/// </summary>
internal sealed partial class ExpirySweeper(
    NpgsqlDataSource db, OutboxWriter outbox, OrderFulfilment fulfilment, IOptions<BookingOptions> options, TimeProvider time, ILogger<ExpirySweeper> logger)
    : BackgroundService
{
    private const int BatchSize = 200;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                while (await ExpireHoldsAsync(stoppingToken) == BatchSize)
                {
                }

                while (await CancelOverdueOrdersAsync(stoppingToken) == BatchSize)
                {
                }
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                LogSweepFailed(exception);
            }
        }
    }

    internal async Task<int> ExpireHoldsAsync(CancellationToken cancellationToken) =>
        await Transactions.RunAsync(db, async (connection, transaction) =>
        {
            var expired = new List<(Guid HoldId, Guid EventId, int Units)>();
            await using (var expire = transaction.Command(
                """
                WITH due AS (
                    SELECT hold_id FROM holds WHERE status = 'active' AND expires_at <= $1
                    ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
                UPDATE holds h SET status = 'expired' FROM due WHERE h.hold_id = due.hold_id
                RETURNING h.hold_id, h.event_id, h.units
                """, time.Now(), BatchSize))
            await using (var reader = await expire.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    expired.Add((reader.GetGuid(0), reader.GetGuid(1), reader.GetInt32(2)));
                }
            }

            if (expired.Count == 0)
            {
                return 0;
            }

            await using (var release = transaction.Command(
                "UPDATE units SET hold_id = NULL, held_until = NULL WHERE hold_id = ANY($1) AND order_id IS NULL", expired.Select(hold => hold.HoldId).ToArray()))
            {
                await release.ExecuteNonQueryAsync(cancellationToken);
            }

            foreach (var hold in expired)
            {
                await outbox.EnqueueAsync(connection, transaction, new HoldExpired(hold.HoldId, hold.EventId, hold.Units), cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            BookingMetrics.HoldsExpired.Add(expired.Count);
            LogHoldsExpired(expired.Count);
            return expired.Count;
        }, cancellationToken);

    internal async Task<int> CancelOverdueOrdersAsync(CancellationToken cancellationToken) =>
        await Transactions.RunAsync(db, async (_, transaction) =>
        {
            var overdue = new List<Guid>();
            await using (var select = transaction.Command(
                "SELECT order_id FROM orders WHERE status = 'pending-payment' AND pay_by <= $1 ORDER BY pay_by LIMIT $2 FOR UPDATE SKIP LOCKED",
                time.Now() - options.Value.PaymentGrace, BatchSize))
            await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    overdue.Add(reader.GetGuid(0));
                }
            }

            foreach (var orderId in overdue)
            {
                await fulfilment.CancelAsync(transaction, orderId, OrderCancellationReason.PaymentTimeout, cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            return overdue.Count;
        }, cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Expired {Count} holds")]
    private partial void LogHoldsExpired(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweeping expired holds and orders failed; trying again at the next tick")]
    private partial void LogSweepFailed(Exception exception);
}
