using System.Collections.Concurrent;
using System.Diagnostics;

namespace Boxoffice.FlashSale;

/// <summary>Everything the crowd saw: per endpoint and status, latencies, and a per-second timeline.</summary>
public sealed class Stats
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentDictionary<string, Endpoint> _endpoints = new();
    private readonly ConcurrentDictionary<int, Second> _timeline = new();
    private readonly ConcurrentQueue<string> _serverErrors = new();

    public TimeSpan Elapsed => _clock.Elapsed;

    public void Restart() => _clock.Restart();

    /// <summary>One answer (status 0: no answer, a broken connection or a timeout).</summary>
    public void Record(string endpoint, bool hostile, int status, double milliseconds, string? requestId)
    {
        var key = hostile ? "hostile " + endpoint : endpoint;
        var stats = _endpoints.GetOrAdd(key, _ => new Endpoint());
        lock (stats)
        {
            stats.Latencies.Add(milliseconds);
            stats.Statuses[status] = stats.Statuses.GetValueOrDefault(status) + 1;
        }

        var second = _timeline.GetOrAdd((int)_clock.Elapsed.TotalSeconds, _ => new Second());
        lock (second)
        {
            second.Requests++;
            second.Latencies.Add(milliseconds);
            if (status >= 500)
            {
                second.ServerErrors++;
            }
            else if (status == 0)
            {
                second.NoAnswers++;
            }
        }

        if (status >= 500 && !hostile)
        {
            _serverErrors.Enqueue($"{endpoint} {status} request {requestId ?? "?"}");
        }
    }

    public IReadOnlyCollection<string> ServerErrorsToWellFormed => _serverErrors;

    public IEnumerable<(string Name, int Count, double P50, double P99, double Max, IReadOnlyDictionary<int, int> Statuses)> Endpoints()
    {
        foreach (var (name, stats) in _endpoints.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            lock (stats)
            {
                var sorted = stats.Latencies.Order().ToArray();
                yield return (name, sorted.Length, Percentile(sorted, 0.50), Percentile(sorted, 0.99), sorted.LastOrDefault(), new Dictionary<int, int>(stats.Statuses));
            }
        }
    }

    public IEnumerable<(int Second, int Requests, double P50, double P99, int ServerErrors, int NoAnswers)> Timeline()
    {
        foreach (var (index, second) in _timeline.OrderBy(pair => pair.Key))
        {
            lock (second)
            {
                var sorted = second.Latencies.Order().ToArray();
                yield return (index, second.Requests, Percentile(sorted, 0.50), Percentile(sorted, 0.99), second.ServerErrors, second.NoAnswers);
            }
        }
    }

    /// <summary>The last complete second: requests, p50, p99, for the live progress line.</summary>
    public (int Requests, double P50, double P99) LastSecond()
    {
        if (!_timeline.TryGetValue((int)_clock.Elapsed.TotalSeconds - 1, out var second))
        {
            return (0, 0, 0);
        }

        lock (second)
        {
            var sorted = second.Latencies.Order().ToArray();
            return (second.Requests, Percentile(sorted, 0.50), Percentile(sorted, 0.99));
        }
    }

    public IReadOnlyDictionary<string, int> StatusTotals(bool hostile)
    {
        var totals = new Dictionary<string, int>();
        foreach (var (name, stats) in _endpoints)
        {
            if (name.StartsWith("hostile ", StringComparison.Ordinal) != hostile)
            {
                continue;
            }

            lock (stats)
            {
                foreach (var (status, count) in stats.Statuses)
                {
                    var bucket = status == 0 ? "no answer" : $"{status / 100}xx";
                    totals[bucket] = totals.GetValueOrDefault(bucket) + count;
                }
            }
        }

        return totals;
    }

    public static double Percentile(double[] sorted, double quantile) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(quantile * sorted.Length) - 1)];

    private sealed class Endpoint
    {
        public List<double> Latencies { get; } = [];

        public Dictionary<int, int> Statuses { get; } = [];
    }

    private sealed class Second
    {
        public int Requests;
        public int ServerErrors;
        public int NoAnswers;

        public List<double> Latencies { get; } = [];
    }
}

/// <summary>What the crowd achieved, counted as it happened.</summary>
public sealed class Outcomes
{
    public int SignedIn;

    /// <summary>Sign-ins sent again after no answer, a 5xx or a 429 (an identity replica killed in the lobby).</summary>
    public int SignInRetries;

    public int Holds;
    public int HoldsReleased;
    public int Orders;
    public int Confirmed;
    public int Cancelled;
    public int Pending;
    public int SoldOutAnswers;
    public int GaveUp;
    public int UnitsBought;
    public int HostileRequests;

    /// <summary>Hostile requests not refused with a 4xx (or, for a scalper's burst, answered 5xx).</summary>
    public ConcurrentQueue<string> HostileFailures { get; } = new();
}
