using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Boxoffice.Contracts.WaitingRoom;

namespace Boxoffice.FlashSale;

/// <summary>What the queue bench's load client is asked to do (<c>--queue-load</c>).</summary>
internal sealed record QueueLoadOptions(Uri Gateway, Guid EventId, Uri TokenUrl, int Buyers, TimeSpan PollFor, int Connections, int Seed);

/// <summary>
/// The queue bench's load client (bench/waitingroom.sh): a crowd of buyers joins an event's waiting
/// room through the gateway, each with a token of its own from a token endpoint, and polls its
/// status as told (<c>pollAfterSeconds</c>), through the same <see cref="QueueClient"/> as the
/// flash-sale crowd. Once every buyer has joined, it counts the requests they send for
/// <see cref="QueueLoadOptions.PollFor"/>: the load a waiting crowd puts on the machine. A buyer
/// admitted, told "sold out" or "closed" stops polling, as the app would move on.
/// </summary>
internal static class QueueLoad
{
    public static async Task RunAsync(QueueLoadOptions options, TextWriter output, TextWriter log, CancellationToken cancellationToken)
    {
        using var gateway = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.Connections,
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            ConnectTimeout = TimeSpan.FromSeconds(5),
        })
        {
            BaseAddress = options.Gateway,
            Timeout = TimeSpan.FromSeconds(30),
        };
        using var issuer = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var queue = new QueueClient(new Caller(gateway, new Stats()), options.EventId);
        var window = new Window();
        using var polling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pollers = new ConcurrentBag<Task>();
        var run = "ql" + Guid.NewGuid().ToString("N")[..8];
        int joined = 0, failed = 0;

        var joining = Stopwatch.StartNew();
        using (var progress = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            _ = ReportAsync(log, () => $"joined {Volatile.Read(ref joined):N0}/{options.Buyers:N0} ({Volatile.Read(ref failed):N0} failed) in {joining.Elapsed.TotalSeconds:F0} s", progress.Token);
            await Parallel.ForAsync(0, options.Buyers, new ParallelOptions { MaxDegreeOfParallelism = options.Connections, CancellationToken = cancellationToken }, async (i, token) =>
            {
                var random = new Random(options.Seed + i);
                var access = await TokenAsync(issuer, options.TokenUrl, $"{run}-{i}", token);
                var (_, status) = access is null ? default : await queue.JoinAsync(access, random, proofOfWork: false, token);
                if (status?.Ticket is not { } ticket)
                {
                    Interlocked.Increment(ref failed);
                    return;
                }

                Interlocked.Increment(ref joined);
                pollers.Add(PollAsync(queue, access!, ticket, status, random, window, polling.Token));
            });
            await progress.CancelAsync();
        }

        var joinSeconds = joining.Elapsed.TotalSeconds;
        log.WriteLine($"{joined:N0} buyers joined in {joinSeconds:F1} s ({failed:N0} could not); counting their polls for {options.PollFor.TotalSeconds:F0} s");
        window.Open();
        await Task.Delay(options.PollFor, cancellationToken);
        var measured = window.Close();
        await polling.CancelAsync();
        await Task.WhenAll(pollers);

        var latencies = measured.Latencies.Order().ToArray();
        var seconds = options.PollFor.TotalSeconds;
        string Line(string name, double value, string format = "F1") => $"{name}={value.ToString(format, CultureInfo.InvariantCulture)}";
        output.WriteLine($"buyers={options.Buyers}");
        output.WriteLine($"joined={joined}");
        output.WriteLine($"join_failures={failed}");
        output.WriteLine(Line("join_seconds", joinSeconds));
        output.WriteLine(Line("poll_seconds", seconds, "F0"));
        output.WriteLine($"requests={measured.Requests}");
        output.WriteLine(Line("request_rate", measured.Requests / seconds));
        output.WriteLine(Line("p50_ms", Percentiles.Of(latencies, 0.50)));
        output.WriteLine(Line("p99_ms", Percentiles.Of(latencies, 0.99)));
        output.WriteLine($"errors={measured.Errors}");
        output.WriteLine($"admitted={window.Admitted}");
        output.WriteLine($"left={window.Left}");
        output.WriteLine($"waiting={joined - window.Admitted - window.Left}");
    }

    /// <summary>Polls as the status says until the buyer is admitted or has their answer; each request is counted while the window is open.</summary>
    private static async Task PollAsync(QueueClient queue, string token, string ticket, QueueStatus status, Random random, Window window, CancellationToken cancellationToken)
    {
        try
        {
            while (status.State is QueueStates.Prequeue or QueueStates.Waiting || (status.State == QueueStates.Admitted && status.Admission is null))
            {
                await Task.Delay(QueueClient.PollAfter(status, random), cancellationToken);
                var started = Stopwatch.GetTimestamp();
                var answer = await queue.StatusAsync("GET queue status", token, ticket, random, patient: false, cancellationToken);
                window.Record(answer.Status, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (QueueClient.Read(answer) is { } next)
                {
                    status = next;
                }
                else if (answer.RetryAfter is { } retryAfter)
                {
                    await Task.Delay(retryAfter, cancellationToken);
                }
            }

            window.Finished(status.State == QueueStates.Admitted);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The window is over.
        }
    }

    /// <summary>A token of its own for each buyer, from the bench's token endpoint (as bench/Upstream signs them); null when it keeps failing.</summary>
    private static async Task<string?> TokenAsync(HttpClient issuer, Uri tokenUrl, string subject, CancellationToken cancellationToken)
    {
        var url = new Uri(tokenUrl, $"?sub={Uri.EscapeDataString(subject)}&scope=booking&role=buyer");
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            try
            {
                return await issuer.GetStringAsync(url, cancellationToken);
            }
            catch (Exception failure) when (failure is HttpRequestException or IOException
                || (failure is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken);
            }
        }

        return null;
    }

    private static async Task ReportAsync(TextWriter log, Func<string> line, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                log.WriteLine(line());
            }
        }
        catch (OperationCanceledException)
        {
            // Every buyer has joined.
        }
    }

    /// <summary>The requests counted while the window is open, and how the buyers' waits ended.</summary>
    private sealed class Window
    {
        private readonly ConcurrentQueue<double> _latencies = new();
        private volatile bool _open;
        private long _requests;
        private long _errors;
        private int _admitted;
        private int _left;

        public int Admitted => Volatile.Read(ref _admitted);

        public int Left => Volatile.Read(ref _left);

        public void Open() => _open = true;

        public (long Requests, long Errors, IReadOnlyCollection<double> Latencies) Close()
        {
            _open = false;
            return (Interlocked.Read(ref _requests), Interlocked.Read(ref _errors), _latencies.ToArray());
        }

        public void Record(int status, double milliseconds)
        {
            if (!_open)
            {
                return;
            }

            Interlocked.Increment(ref _requests);
            if (status is 0 or >= 500)
            {
                Interlocked.Increment(ref _errors);
            }

            _latencies.Enqueue(milliseconds);
        }

        public void Finished(bool admitted)
        {
            if (admitted)
            {
                Interlocked.Increment(ref _admitted);
            }
            else
            {
                Interlocked.Increment(ref _left);
            }
        }
    }
}
