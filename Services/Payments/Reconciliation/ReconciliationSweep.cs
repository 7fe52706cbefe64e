using Boxoffice.Contracts.Payments;
using Boxoffice.Messaging.Outbox;
using Boxoffice.Payments.Charging;
using Boxoffice.Payments.Provider;
using Boxoffice.Postgres;
using Microsoft.Extensions.Options;
using Npgsql;
using Polly.CircuitBreaker;

namespace Boxoffice.Payments.Reconciliation;

/// <summary>
/// Compares the provider's charges with Payments' payment rows and gives back what no order kept:
/// a charge that completed after its order had failed or been cancelled (a request that reached
/// the provider only after Payments stopped waiting for it), or one no order was ever known for.
/// Every <see cref="ReconciliationOptions.Interval"/>, one replica (a transaction-scoped advisory
/// lock) pages through the charges created from the cursor to <see cref="ReconciliationOptions.SettleAfter"/>
/// ago. Each charge to refund is settled in a transaction of its own, under its payment row's
/// lock as the event handler takes it, and refunded with the key <c>refund-{orderId}</c> that
/// OrderCancelled uses, so the two never give back twice. The cursor then moves to the oldest
/// charge still unsettled, or to the window's end. While the provider is away, the sweep tries
/// again next interval.
/// </summary>
internal sealed partial class ReconciliationSweep(
    NpgsqlDataSource db,
    IServiceScopeFactory scopes,
    OutboxWriter outbox,
    IOptions<ReconciliationOptions> options,
    TimeProvider time,
    ILogger<ReconciliationSweep> logger) : BackgroundService
{
    private readonly ReconciliationOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await SweepAsync(stoppingToken);
                }
                catch (Exception exception) when (exception is BrokenCircuitException or ProviderUnavailableException && !stoppingToken.IsCancellationRequested)
                {
                    LogProviderAway(exception.Message);
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    LogSweepFailed(exception);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        // A typed client per sweep, as the factory means it to be used: the handler underneath is renewed.
        await using var scope = scopes.CreateAsyncScope();
        var provider = scope.ServiceProvider.GetRequiredService<ProviderClient>();
        if (await db.RunAsync(transaction => SweepLockedAsync(transaction, provider, cancellationToken), cancellationToken) is not { } tally)
        {
            return;
        }

        PaymentsMetrics.SweptUnsettled(tally.Unsettled, 2 * _options.Interval);
        if (tally.Refunded + tally.UnknownRefunded > 0)
        {
            LogSwept(tally.From, tally.Before, tally.Seen, tally.Refunded, tally.UnknownRefunded, tally.Unsettled);
        }
        else
        {
            LogSweptQuietly(tally.From, tally.Before, tally.Seen, tally.Unsettled);
        }
    }

    /// <summary>One sweep in the transaction that holds the sweep's lock; null when another replica holds it.</summary>
    private async Task<Tally?> SweepLockedAsync(NpgsqlTransaction transaction, ProviderClient provider, CancellationToken cancellationToken)
    {
        if (!await transaction.TryLockAsync("boxoffice-payments-reconciliation", cancellationToken))
        {
            return null;
        }

        var now = time.Now();
        var tally = new Tally(await ReconciliationStore.ReadCursorAsync(transaction, cancellationToken), now - _options.SettleAfter);
        if (tally.Before <= tally.From)
        {
            return tally;
        }

        string? startingAfter = null;
        ProviderChargePage page;
        do
        {
            page = await provider.ListChargesAsync(tally.From, tally.Before, startingAfter, _options.PageSize, cancellationToken);
            var rows = await ReconciliationStore.ReadRowsAsync(
                transaction, [.. page.Data.Select(ReconciliationRules.OrderIdOf).OfType<Guid>()], cancellationToken);
            foreach (var charge in page.Data)
            {
                var orderId = ReconciliationRules.OrderIdOf(charge);
                var action = ReconciliationRules.Decide(charge, orderId is { } id ? rows.GetValueOrDefault(id) : null, now, _options.UnknownAfter);
                if (tally.ProviderAway)
                {
                    // The provider stopped answering: what is left waits for the next sweep, and
                    // the cursor stays at the first charge not settled.
                    action = Reconcile.Wait;
                }
                else if (action is Reconcile.Refund or Reconcile.RefundUnknown)
                {
                    action = await SettleAsync(provider, orderId!.Value, unknown: action == Reconcile.RefundUnknown, tally, cancellationToken);
                }
                else if (action == Reconcile.NotOurs)
                {
                    LogNotOurs(charge.Id, charge.Amount, charge.Currency);
                }

                tally.Count(charge, action);
            }

            startingAfter = page.Data.Count > 0 ? page.Data[^1].Id : null;
        }
        while (page.HasMore && startingAfter is not null && !tally.ProviderAway);

        await ReconciliationStore.MoveCursorAsync(transaction, tally.FirstUnsettled ?? tally.Before, now, cancellationToken);
        return tally;
    }

    /// <summary>
    /// Refunds one order's charge, if it still needs it once its payment row is locked (the event
    /// handler may have settled it since the page was read): in a transaction of its own, with the
    /// row set <c>refunded</c> and <c>PaymentRefunded</c> in the outbox. Returns what was done.
    /// A charge the provider cannot refund now waits for the next sweep; an open circuit ends this one.
    /// </summary>
    private async Task<Reconcile> SettleAsync(ProviderClient provider, Guid orderId, bool unknown, Tally tally, CancellationToken cancellationToken)
    {
        try
        {
            var done = await db.RunAsync(transaction => SettleLockedAsync(transaction, provider, orderId, unknown, cancellationToken), cancellationToken);
            if (done is Reconcile.Refund or Reconcile.RefundUnknown)
            {
                PaymentsMetrics.Reconciled.Add(1, new KeyValuePair<string, object?>("action", done == Reconcile.Refund ? "refunded" : "unknown-refunded"));
            }

            return done;
        }
        catch (ProviderUnavailableException unavailable)
        {
            LogSettleFailed(orderId, unavailable.Message);
            tally.ProviderAway = true;
            return Reconcile.Wait;
        }
    }

    private async Task<Reconcile> SettleLockedAsync(NpgsqlTransaction transaction, ProviderClient provider, Guid orderId, bool unknown, CancellationToken cancellationToken)
    {
        var now = time.Now();
        var inserted = unknown && await ReconciliationStore.TryInsertUnknownAsync(transaction, orderId, now, cancellationToken);
        var row = await ReconciliationStore.LockAsync(transaction, orderId, cancellationToken);
        if (row is null)
        {
            return Reconcile.Wait;
        }

        // Read again under the lock: the charge's state now, not the page's. The refund names the
        // charge by the order's key, so the answer must be the charge of that key; its reference
        // and amount need not be the order's: whatever was taken under the key goes back.
        var charge = await provider.FindChargeAsync(orderId, cancellationToken);
        if (charge is null || !string.Equals(charge.IdempotencyKey, orderId.ToString(), StringComparison.Ordinal))
        {
            LogChargeUnreadable(orderId, charge is null ? "the provider does not find it" : "the provider answered with another charge");
            return Reconcile.Wait;
        }

        var action = ReconciliationRules.Decide(charge, row, now, _options.UnknownAfter);
        if (action != Reconcile.Refund)
        {
            return action == Reconcile.Settled ? Reconcile.Settled : Reconcile.Wait;
        }

        var refund = await provider.RefundAsync(orderId, cancellationToken);
        await PaymentStore.MarkRefundedAsync(transaction, orderId, charge.Id, refund.Id, now, cancellationToken);
        // Told even when Payments never knew the order: booking may (an OrderCancelled that was
        // dead-lettered, an OrderPlaced later than UnknownAfter), and ignores a refund it cannot place.
        await outbox.EnqueueAsync(transaction, new PaymentRefunded(orderId, charge.Id, refund.Id, refund.Amount, charge.Currency), cancellationToken);
        if (inserted)
        {
            LogUnknownRefunded(orderId, charge.Id, refund.Amount, charge.Currency);
            return Reconcile.RefundUnknown;
        }

        LogRefunded(orderId, charge.Id, row.Status, refund.Amount, charge.Currency);
        return Reconcile.Refund;
    }

    /// <summary>What one sweep saw and did, and the oldest charge it left unsettled.</summary>
    private sealed class Tally(DateTimeOffset from, DateTimeOffset before)
    {
        public DateTimeOffset From { get; } = from;

        public DateTimeOffset Before { get; } = before;

        public int Seen { get; private set; }

        public int Refunded { get; private set; }

        public int UnknownRefunded { get; private set; }

        public int Unsettled { get; private set; }

        public DateTimeOffset? FirstUnsettled { get; private set; }

        /// <summary>Set once the provider did not answer a refund: the sweep ends early.</summary>
        public bool ProviderAway { get; set; }

        public void Count(ProviderCharge charge, Reconcile action)
        {
            Seen++;
            switch (action)
            {
                case Reconcile.Refund:
                    Refunded++;
                    break;
                case Reconcile.RefundUnknown:
                    UnknownRefunded++;
                    break;
                case Reconcile.Wait:
                    Unsettled++;
                    FirstUnsettled = FirstUnsettled is { } first && first <= charge.CreatedAt ? first : charge.CreatedAt;
                    break;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciliation refunded the charge {ChargeId} of order {OrderId}, whose payment was {PaymentStatus}: {Amount} {Currency}")]
    private partial void LogRefunded(Guid orderId, string chargeId, string paymentStatus, decimal amount, string currency);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciliation refunded the charge {ChargeId} made with the key of order {OrderId}, which Payments never heard of: {Amount} {Currency}")]
    private partial void LogUnknownRefunded(Guid orderId, string chargeId, decimal amount, string currency);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The provider's charge {ChargeId} ({Amount} {Currency}) has a key that is not an order id; Payments did not make it and leaves it alone")]
    private partial void LogNotOurs(string chargeId, decimal amount, string currency);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reconciliation could not read the charge of order {OrderId} again: {Reason}; it tries again next sweep")]
    private partial void LogChargeUnreadable(Guid orderId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciliation could not settle order {OrderId}: {Reason}; it tries again next sweep")]
    private partial void LogSettleFailed(Guid orderId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconciled charges created from {From} to {Before}: {Seen} seen, {Refunded} refunded, {UnknownRefunded} of unknown orders refunded, {Unsettled} unsettled")]
    private partial void LogSwept(DateTimeOffset from, DateTimeOffset before, int seen, int refunded, int unknownRefunded, int unsettled);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reconciled charges created from {From} to {Before}: {Seen} seen, {Unsettled} unsettled")]
    private partial void LogSweptQuietly(DateTimeOffset from, DateTimeOffset before, int seen, int unsettled);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciliation skipped: the payment provider is unavailable ({Reason}); it tries again next interval")]
    private partial void LogProviderAway(string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reconciliation failed; it tries again next interval")]
    private partial void LogSweepFailed(Exception exception);
}
