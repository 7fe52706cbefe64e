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
}
