using System.Diagnostics.Metrics;

namespace Boxoffice.Payments;

/// <summary>Business metrics of payments (Prometheus names: boxoffice_payments_*).</summary>
internal static class PaymentsMetrics
{
    private static readonly Meter Meter = new("Boxoffice.Payments");
    private static int _breakerOpen;

    public static readonly Counter<long> Charges = Meter.CreateCounter<long>("boxoffice.payments.charges", "{charge}", "Charge attempts, by outcome.");
    public static readonly Counter<long> Refunds = Meter.CreateCounter<long>("boxoffice.payments.refunds", "{refund}", "Charges refunded because their order was cancelled.");
    public static readonly Counter<long> BreakerTransitions = Meter.CreateCounter<long>(
        "boxoffice.payments.breaker_transitions", "{transition}", "The payment provider's circuit breaker changing state, by the state it entered.");

    private static readonly ObservableGauge<int> BreakerOpen = Meter.CreateObservableGauge(
        "boxoffice.payments.breaker_open", () => Volatile.Read(ref _breakerOpen), "{state}", "1 while the payment provider's circuit is open, else 0.");

    public static ValueTask BreakerChanged(string state)
    {
        _ = BreakerOpen;
        Volatile.Write(ref _breakerOpen, state == "open" ? 1 : 0);
        BreakerTransitions.Add(1, new KeyValuePair<string, object?>("state", state));
        return ValueTask.CompletedTask;
    }
}
