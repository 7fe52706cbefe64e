using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Boxoffice.Gateway.WaitingRoom;

/// <summary>The gateway's side of the waiting room in traces and metrics (Prometheus: boxoffice_gateway_queue_*).</summary>
internal static class WaitingRoomTelemetry
{
    public static readonly ActivitySource Source = new("Boxoffice.Gateway.WaitingRoom");

    private static readonly Meter Meter = new("Boxoffice.Gateway.WaitingRoom");

    private static readonly Counter<long> StatusAnswers = Meter.CreateCounter<long>(
        "boxoffice.gateway.queue_status", "{answer}", "Queue status answers (polls and stream pushes), by the state told.");

    private static readonly Counter<long> AdmissionRefusals = Meter.CreateCounter<long>(
        "boxoffice.gateway.admission_refused", "{request}", "Holds and orders refused at the gateway for want of a valid admission, by reason.");

    public static void StatusAnswered(string state) => StatusAnswers.Add(1, new KeyValuePair<string, object?>("state", state));

    public static void AdmissionRefused(string reason) => AdmissionRefusals.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
