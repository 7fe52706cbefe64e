using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Boxoffice.WaitingRoom;

/// <summary>Business metrics of the waiting room (Prometheus names: boxoffice_waiting_room_*).</summary>
internal static class WaitingRoomMetrics
{
    private static readonly Meter Meter = new("Boxoffice.WaitingRoom");
    private static IReadOnlyList<KeyValuePair<Guid, long>> _waiting = [];

    public static readonly Counter<long> Joins = Meter.CreateCounter<long>(
        "boxoffice.waiting_room.joins", "{place}", "Places taken in a queue, by kind: pre-queue (drawn at the opening) or late (in arrival order). Rejoins are not counted.");

    public static readonly Counter<long> Admitted = Meter.CreateCounter<long>(
        "boxoffice.waiting_room.admitted", "{offer}", "Offers of admission the ticker made, by event (a place offered again after it was abandoned counts again).");

    public static readonly Counter<long> Abandoned = Meter.CreateCounter<long>(
        "boxoffice.waiting_room.abandoned", "{offer}", "Offers withdrawn because nobody claimed them within the abandon window.");

    public static readonly Histogram<double> WaitSeconds = Meter.CreateHistogram<double>(
        "boxoffice.waiting_room.wait_seconds", "s", "From joining the queue to claiming the admission.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200] });

    private static readonly ObservableGauge<long> Waiting = Meter.CreateObservableGauge(
        "boxoffice.waiting_room.waiting",
        () => Volatile.Read(ref _waiting).Select(queue => new Measurement<long>(queue.Value, new KeyValuePair<string, object?>("event", queue.Key.ToString()))),
        "{place}",
        "Places neither offered nor claimed, per shown queue, as this replica last read them (aggregate with max, not sum).");

    /// <summary>The waiting counts of the queues this replica last read; queues no longer shown drop out.</summary>
    public static void SetWaiting(IEnumerable<KeyValuePair<Guid, long>> waiting)
    {
        _ = Waiting;
        Volatile.Write(ref _waiting, [.. waiting]);
    }
}

/// <summary>Spans of the waiting room: joins, admissions and each event's tick.</summary>
internal static class WaitingRoomTelemetry
{
    public static readonly ActivitySource Source = new("Boxoffice.WaitingRoom");
}
