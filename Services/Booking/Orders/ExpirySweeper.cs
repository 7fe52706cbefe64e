using Boxoffice.Booking.Holds;
using Boxoffice.Contracts.Booking;
using Boxoffice.Messaging.Outbox;
using Boxoffice.Postgres;
using Microsoft.Extensions.Options;
using Npgsql;

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

    internal async Task<int> ExpireHoldsAsync(CancellationToken cancellationToken)
    {
        var expired = await db.RunAsync(async transaction =>
        {
            var holds = await HoldStore.ExpireAsync(transaction, time.Now(), BatchSize, cancellationToken);
            foreach (var hold in holds)
            {
                await outbox.EnqueueAsync(transaction, hold, cancellationToken);
            }

            return holds.Count;
        }, cancellationToken);
        if (expired > 0)
        {
            BookingMetrics.HoldsExpired.Add(expired);
            LogHoldsExpired(expired);
        }

        return expired;
    }

    internal Task<int> CancelOverdueOrdersAsync(CancellationToken cancellationToken) =>
        db.RunAsync(async transaction =>
        {
            var overdue = await OrderStore.LockOverdueAsync(transaction, time.Now() - options.Value.PaymentGrace, BatchSize, cancellationToken);
            foreach (var orderId in overdue)
            {
                await fulfilment.CancelAsync(transaction, orderId, OrderCancellationReason.PaymentTimeout, cancellationToken);
            }

            return overdue.Count;
        }, cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Expired {Count} holds")]
    private partial void LogHoldsExpired(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweeping expired holds and orders failed; trying again at the next tick")]
    private partial void LogSweepFailed(Exception exception);
}
