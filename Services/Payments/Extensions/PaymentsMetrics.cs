using System.Diagnostics.Metrics;

namespace Boxoffice.Payments;

/// <summary>Business metrics of payments (Prometheus names: boxoffice_payments_*).</summary>
internal static class PaymentsMetrics
{
    private static readonly Meter Meter = new("Boxoffice.Payments");
    private static int _breakerOpen;
    private static int _unsettled;
    private static long _unsettledUntil;

    public static readonly Counter<long> Charges = Meter.CreateCounter<long>("boxoffice.payments.charges", "{charge}", "Charge attempts, by outcome (mismatch: the answer was not the order's charge).")
        .StartingAtZero("outcome", "succeeded", "declined", "in-progress", "circuit-open", "unavailable", "mismatch");
    public static readonly Counter<long> Refunds = Meter.CreateCounter<long>("boxoffice.payments.refunds", "{refund}", "Charges refunded because their order was cancelled.");
    public static readonly Counter<long> BreakerTransitions = Meter.CreateCounter<long>(
        "boxoffice.payments.breaker_transitions", "{transition}", "The payment provider's circuit breaker changing state, by the state it entered.")
        .StartingAtZero("state", "open", "half-open", "closed");

    private static readonly ObservableGauge<int> BreakerOpen = Meter.CreateObservableGauge(
        "boxoffice.payments.breaker_open", () => Volatile.Read(ref _breakerOpen), "{state}", "1 while the payment provider's circuit is open, else 0.");

    public static readonly Counter<long> Reconciled = Meter.CreateCounter<long>(
        "boxoffice.payments.reconciled", "{charge}", "Charges the reconciliation sweep refunded, by action: refunded (its order did not keep it), unknown-refunded (no order was known for it).")
        .StartingAtZero("action", "refunded", "unknown-refunded");

    // Reported only while this replica's count is recent: the sweep runs on one replica at a time,
    // and a replica that lost the lock must not keep an old count up (aggregate with max).
    private static readonly ObservableGauge<int> Unsettled = Meter.CreateObservableGauge(
        "boxoffice.payments.unsettled_charges",
        () => Environment.TickCount64 < Volatile.Read(ref _unsettledUntil) ? [new Measurement<int>(Volatile.Read(ref _unsettled))] : Array.Empty<Measurement<int>>(),
        "{charge}",
        "Charges the last reconciliation sweep found not yet settled (still processing, their payment pending, or too young to call unknown), from the replica that swept within the last two intervals.");

    private static readonly Histogram<double> ProviderDuration = Meter.CreateHistogram(
        "boxoffice.payments.provider.duration", "s", "Calls to the payment provider as Payments waits for them (retries included), by operation (charge, refund, lookup, list) and outcome (ok, error; circuit-open and cancelled took no provider time).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = HandlingTime.Buckets });

    public static void ProviderCall(string operation, string outcome, TimeSpan elapsed) =>
        ProviderDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>What the last completed sweep left for the next one; reported for <paramref name="validFor"/> (two sweep intervals).</summary>
    public static void SweptUnsettled(int count, TimeSpan validFor)
    {
        _ = Unsettled;
        Volatile.Write(ref _unsettled, count);
        Volatile.Write(ref _unsettledUntil, Environment.TickCount64 + (long)validFor.TotalMilliseconds);
    }

    public static ValueTask BreakerChanged(string state)
    {
        _ = BreakerOpen;
        Volatile.Write(ref _breakerOpen, state == "open" ? 1 : 0);
        BreakerTransitions.Add(1, new KeyValuePair<string, object?>("state", state));
        return ValueTask.CompletedTask;
    }
}
