using System.Collections.Concurrent;
using System.Diagnostics;

namespace Boxoffice.FlashSale;

/// <summary>
/// Everything the crowd saw: per endpoint and status, latencies, and a per-second timeline. Its
/// clock counts from the opening: negative in the lobby, while buyers join a waiting room.
/// </summary>
public sealed class Stats
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentDictionary<string, Endpoint> _endpoints = new();
    private readonly ConcurrentDictionary<int, Second> _timeline = new();
    private readonly ConcurrentQueue<string> _serverErrors = new();
    private TimeSpan _opening;

    /// <summary>Time since the opening (negative before it).</summary>
    public TimeSpan Elapsed => _clock.Elapsed - _opening;

    /// <summary>The sale opens now: the clock starts at zero.</summary>
    public void Restart() => OpensIn(TimeSpan.Zero);

    /// <summary>The sale opens <paramref name="delay"/> from now: until then the clock is negative.</summary>
    public void OpensIn(TimeSpan delay) => _opening = _clock.Elapsed + delay;

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

        var second = _timeline.GetOrAdd(SecondOf(Elapsed), _ => new Second());
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
                yield return (name, sorted.Length, Percentiles.Of(sorted, 0.50), Percentiles.Of(sorted, 0.99), sorted.LastOrDefault(), new Dictionary<int, int>(stats.Statuses));
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
                yield return (index, second.Requests, Percentiles.Of(sorted, 0.50), Percentiles.Of(sorted, 0.99), second.ServerErrors, second.NoAnswers);
            }
        }
    }

    /// <summary>The last complete second: requests, p50, p99, for the live progress line.</summary>
    public (int Requests, double P50, double P99) LastSecond()
    {
        if (!_timeline.TryGetValue(SecondOf(Elapsed) - 1, out var second))
        {
            return (0, 0, 0);
        }

        lock (second)
        {
            var sorted = second.Latencies.Order().ToArray();
            return (second.Requests, Percentiles.Of(sorted, 0.50), Percentiles.Of(sorted, 0.99));
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

    private static int SecondOf(TimeSpan time) => (int)Math.Floor(time.TotalSeconds);

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

    /// <summary>
    /// Purchases begun (an honest buyer's or a scalper's, once admitted with a waiting room) and
    /// under way now: the sale settles once none is, even while the back of a queue is still
    /// being told "sold out".
    /// </summary>
    public long Purchases;
    public int Buying;

    /// <summary>Buyers with a place in the waiting room, and those who took it before the opening (the pre-queue).</summary>
    public int Joined;
    public int JoinedPrequeue;

    /// <summary>Joins refused for good, or never answered within a click's patience.</summary>
    public int JoinsFailed;

    /// <summary>Buyers in the queue now: joined, not yet admitted or gone.</summary>
    public int InQueue;

    public int Admitted;

    /// <summary>Buyers the queue told "sold out" or "closed" (each left), who waited past the queue patience, or whose poll was refused.</summary>
    public int ToldSoldOut;
    public int ToldClosed;
    public int LeftQueue;
    public int QueueRefused;

    /// <summary>Each admitted buyer's join and admission, in seconds since the opening (a join in the lobby is negative).</summary>
    public ConcurrentQueue<(double Joined, double Admitted)> Admissions { get; } = new();

    /// <summary>When each buyer heard "sold out" from the queue, in seconds since the opening.</summary>
    public ConcurrentQueue<double> SoldOutHeard { get; } = new();

    /// <summary>Hostile requests not refused with a 4xx (or, for a scalper's burst, answered 5xx).</summary>
    public ConcurrentQueue<string> HostileFailures { get; } = new();
}
