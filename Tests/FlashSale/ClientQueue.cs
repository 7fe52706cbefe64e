using System.Diagnostics.Metrics;
using System.Globalization;

namespace Boxoffice.FlashSale;

/// <summary>
/// How long the crowd's requests waited inside the harness for one of its connections to the
/// gateway (.NET's <c>http.client.request.time_in_queue</c>, for the gateway's host and port only).
/// Every latency the harness reports, and its 30 s timeout, starts when a request is sent, so a long
/// wait here means those figures include the load generator's own queue, not only the server's
/// time. .NET records a wait only for a request that found no idle connection, and records it when
/// the wait ends, a request whose 30 s ran out while it waited included.
/// </summary>
public sealed class ClientQueue : IDisposable
{
    private const string Instrument = "http.client.request.time_in_queue";
    private readonly MeterListener _listener = new();
    private readonly Lock _gate = new();
    private readonly List<double> _waitsMs = [];

    public ClientQueue(Uri gateway)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "System.Net.Http" && instrument.Name == Instrument)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, seconds, tags, _) =>
        {
            // .NET leaves the port out when it is the scheme's default.
            string? host = null;
            var port = -1;
            foreach (var tag in tags)
            {
                switch (tag.Key)
                {
                    case "server.address":
                        host = tag.Value as string;
                        break;
                    case "server.port":
                        port = Convert.ToInt32(tag.Value, CultureInfo.InvariantCulture);
                        break;
                }
            }

            if (string.Equals(host, gateway.IdnHost, StringComparison.OrdinalIgnoreCase) && (port == -1 ? gateway.IsDefaultPort : port == gateway.Port))
            {
                lock (_gate)
                {
                    _waitsMs.Add(seconds * 1000);
                }
            }
        });
        _listener.Start();
    }

    /// <summary>The waits recorded so far: their p99 and longest in milliseconds, how many requests waited, and how many over a second.</summary>
    public ClientQueueFigures Figures()
    {
        double[] sorted;
        lock (_gate)
        {
            sorted = [.. _waitsMs];
        }

        Array.Sort(sorted);
        return new(Percentiles.Of(sorted, 0.99), sorted.Length == 0 ? 0 : sorted[^1], sorted.Length, sorted.Count(wait => wait > 1000));
    }

    public void Dispose() => _listener.Dispose();
}

/// <summary>What <see cref="ClientQueue"/> saw: the p99 and longest wait for a connection (ms) of the requests that waited, how many did, and how many over a second.</summary>
public sealed record ClientQueueFigures(double P99Ms, double MaxMs, int Waited, int OverASecond);
