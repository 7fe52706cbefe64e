using System.Diagnostics.Metrics;

namespace Boxoffice.Booking;

/// <summary>Business metrics of booking (Prometheus names: boxoffice_booking_*).</summary>
internal static class BookingMetrics
{
    private static readonly Meter Meter = new("Boxoffice.Booking");

    public static readonly Counter<long> HoldsTaken = Meter.CreateCounter<long>("boxoffice.booking.holds", "{hold}", "Holds taken.");
    public static readonly Counter<long> UnitsHeld = Meter.CreateCounter<long>("boxoffice.booking.units_held", "{unit}", "Units claimed by holds.");
    public static readonly Counter<long> HoldsRefused = Meter.CreateCounter<long>("boxoffice.booking.holds_refused", "{hold}", "Hold requests refused, by reason.");
    public static readonly Counter<long> HoldsExpired = Meter.CreateCounter<long>("boxoffice.booking.holds_expired", "{hold}", "Holds that ran out before an order.");
    public static readonly Counter<long> OrdersPlaced = Meter.CreateCounter<long>("boxoffice.booking.orders_placed", "{order}", "Orders placed.");
    public static readonly Counter<long> OrdersConfirmed = Meter.CreateCounter<long>("boxoffice.booking.orders_confirmed", "{order}", "Orders paid and confirmed.");
    public static readonly Counter<long> OrdersCancelled = Meter.CreateCounter<long>("boxoffice.booking.orders_cancelled", "{order}", "Orders cancelled, by reason.");
    public static readonly Counter<long> TicketsSold = Meter.CreateCounter<long>("boxoffice.booking.tickets_sold", "{ticket}", "Tickets issued.");
    public static readonly Counter<long> OversellChecks = Meter.CreateCounter<long>("boxoffice.booking.oversell_refusals", "{order}", "Payments that could not confirm because the hold's units were no longer the buyer's.");
    public static readonly Counter<long> CheckIns = Meter.CreateCounter<long>("boxoffice.booking.check_ins", "{ticket}", "Check-ins, by outcome.");

    /// <summary>From the order's placement (OrderPlaced) to its tickets (TicketsIssued): the buyer's wait for the payment round trip.</summary>
    public static readonly Histogram<double> OrderFulfilment = Meter.CreateHistogram(
        "boxoffice.booking.order_fulfilment", "s", "From an order placed to its tickets issued (the payment round trip through Kafka, Payments and the provider).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] });

    private static SaleCounts _sale = SaleCounts.None;

    private static readonly ObservableGauge<long> Places = Meter.CreateObservableGauge(
        "boxoffice.booking.places",
        () => Volatile.Read(ref _sale).Places.SelectMany(places => new[]
        {
            Place(places.EventId, "sold", places.Sold), Place(places.EventId, "held", places.Held), Place(places.EventId, "available", places.Available),
        }),
        "{place}",
        "Places of each event whose sale is open, by state (sold, held, available), as this replica last counted them in the database (replicas count at most an interval apart: aggregate with max).");

    private static readonly ObservableGauge<long> OrdersPending = Meter.CreateObservableGauge(
        "boxoffice.booking.orders_pending", () => Volatile.Read(ref _sale).Pending, "{order}", "Orders waiting for their payment, at the last count (aggregate with max).");

    private static readonly ObservableGauge<long> OrdersOverdue = Meter.CreateObservableGauge(
        "boxoffice.booking.orders_overdue", () => Volatile.Read(ref _sale).Overdue, "{order}",
        "Orders still waiting for their payment after their deadline (hold end plus grace), which the sweeper should have cancelled (aggregate with max).");

    /// <summary>What the gauges report until the next count.</summary>
    public static void Counted(SaleCounts counts)
    {
        _ = (Places, OrdersPending, OrdersOverdue);
        Volatile.Write(ref _sale, counts);
    }

    private static Measurement<long> Place(Guid eventId, string state, long count) =>
        new(count, new KeyValuePair<string, object?>("event", eventId.ToString()), new KeyValuePair<string, object?>("state", state));
}

/// <summary>The sale's state in numbers: places per on-sale event, and orders waiting for payment.</summary>
internal sealed record SaleCounts(IReadOnlyList<EventPlaces> Places, long Pending, long Overdue)
{
    public static readonly SaleCounts None = new([], 0, 0);
}

internal sealed record EventPlaces(Guid EventId, long Sold, long Held, long Available);
