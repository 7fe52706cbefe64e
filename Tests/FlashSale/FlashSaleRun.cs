using System.Diagnostics;
using System.Globalization;

namespace Boxoffice.FlashSale;

/// <summary>What a run found: the figures, the faults as they happened, and the audit.</summary>
public sealed record SaleReport(
    SaleOptions Options,
    Sale Sale,
    Stats Stats,
    Outcomes Outcomes,
    IReadOnlyList<Verdict> Verdicts,
    IReadOnlyCollection<string> Faults,
    IReadOnlyList<(double Second, long Sold, long Held, long Pending)> Inventory,
    TimeSpan CrowdDone,
    TimeSpan? SoldOut,
    TimeSpan? Settled,
    IReadOnlyCollection<string> FaultsNotInjected)
{
    public bool Passed => Verdicts.All(verdict => verdict.Passed);
}

/// <summary>
/// One flash sale from start to verdict: the organizer opens it, the crowd signs in, the doors
/// open (the clock starts), buyers and hostile clients race while faults strike on schedule, the
/// system settles, and the auditor reads what is left.
/// </summary>
public static class FlashSaleRun
{
    public static async Task<SaleReport> RunAsync(SaleTarget target, SaleOptions options, int buyerCap, CancellationToken cancellationToken)
    {
        var log = options.Progress;
        using var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.Connections,
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            ConnectTimeout = TimeSpan.FromSeconds(5),
        })
        {
            BaseAddress = target.Gateway,
            Timeout = TimeSpan.FromSeconds(30),
        };

        var run = "fs" + Guid.NewGuid().ToString("N")[..8];
        var began = DateTimeOffset.UtcNow.AddSeconds(-1);
        var hostile = (int)Math.Round(options.Buyers * options.HostileShare);
        var honest = options.Buyers - hostile;
        log?.WriteLine($"setup  {options.Buyers:N0} buyers ({hostile:N0} hostile) for {options.Seats:N0} places; faults: {(options.Faults.Count == 0 ? "none" : string.Join(", ", options.Faults))}");
        var sale = await SaleSetup.OpenAsync(http, target, options.Seats, cancellationToken);
        log?.WriteLine($"setup  event {sale.EventId} on sale in booking");

        var outcomes = new Outcomes();
        await using var faults = new FaultSchedule(target, options, log);
        var signIn = Stopwatch.StartNew();
        string[] tokens;
        using (Progress(log, () => $"lobby  signed in {outcomes.SignedIn:N0}/{options.Buyers:N0}{(faults.Current is { } fault ? $" | fault: {fault}" : "")}", cancellationToken))
        {
            // Lobby faults strike while the crowd signs in; the doors open once both are over.
            var signingIn = SaleSetup.SignInAsync(http, target, run, options.Buyers, outcomes, cancellationToken);
            await Task.WhenAll(signingIn, faults.RunLobbyAsync(signIn, () => Volatile.Read(ref outcomes.SignedIn), signingIn, cancellationToken));
            tokens = await signingIn;
        }

        log?.WriteLine($"lobby  {options.Buyers:N0} buyers signed in through /connect/token in {signIn.Elapsed.TotalSeconds:F1} s ({outcomes.SignInRetries:N0} sign-ins sent again)");
        return await RaceAsync(http, target, options, buyerCap, sale, tokens, honest, outcomes, faults, began, cancellationToken);
    }

    private static async Task<SaleReport> RaceAsync(HttpClient http, SaleTarget target, SaleOptions options, int buyerCap, Sale sale, string[] tokens, int honest, Outcomes outcomes, FaultSchedule faults, DateTimeOffset began, CancellationToken cancellationToken)
    {
        var log = options.Progress;
        var stats = new Stats();
        var crowd = new Crowd(new Caller(http, stats), sale, options, outcomes);
        await using var auditor = new Auditor(target, sale, began, buyerCap, options.PaymentGrace);
        var inventory = new List<(double, long, long, long)>();
        TimeSpan? soldOut = null;

        // The doors open.
        var clock = Stopwatch.StartNew();
        stats.Restart();
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                try
                {
                    var (sold, held, pending) = await auditor.CountAsync(sampling.Token);
                    lock (inventory)
                    {
                        inventory.Add((clock.Elapsed.TotalSeconds, sold, held, pending));
                    }

                    soldOut ??= sold == sale.Seats ? clock.Elapsed : null;
                    await Task.Delay(500, sampling.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // PostgreSQL is being restarted: the picture resumes when it is back.
                    await Task.Delay(500, CancellationToken.None);
                }
            }
        }, CancellationToken.None);

        using (Progress(log, () => Line(clock, stats, outcomes, inventory, faults.Current), cancellationToken))
        {
            var buyers = Task.WhenAll(Enumerable.Range(0, tokens.Length).Select(i => i < honest
                ? crowd.RunBuyerAsync(i, tokens[i], cancellationToken)
                : crowd.RunHostileAsync(i, tokens[i], cancellationToken)));
            var faulting = faults.RunAsync(clock, buyers, cancellationToken);
            await buyers;
            var crowdDone = clock.Elapsed;
            log?.WriteLine($"crowd  done at {crowdDone.TotalSeconds:F1} s; waiting for the fault schedule");
            await faulting;
            await faults.CalmAsync(cancellationToken);

            // Settling: the last payments, refunds and events drain; the audit passes once they have.
            IReadOnlyList<Verdict> verdicts;
            var settleDeadline = clock.Elapsed + options.SettleTimeout;
            TimeSpan? settled = null;
            while (true)
            {
                verdicts = await AuditRetryingAsync(auditor, stats, outcomes, cancellationToken);
                if (verdicts.All(verdict => verdict.Passed || !verdict.Settles))
                {
                    settled = clock.Elapsed;
                    break;
                }

                if (clock.Elapsed > settleDeadline)
                {
                    break;
                }

                await Task.Delay(1000, cancellationToken);
            }

            await sampling.CancelAsync();
            await sampler;
            List<(double, long, long, long)> picture;
            lock (inventory)
            {
                picture = [.. inventory];
            }

            return new SaleReport(options, sale, stats, outcomes, verdicts, faults.Events, picture, crowdDone, soldOut, settled, faults.NotInjected);
        }
    }

    private static async Task<IReadOnlyList<Verdict>> AuditRetryingAsync(Auditor auditor, Stats stats, Outcomes outcomes, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await auditor.AuditAsync(stats, outcomes, cancellationToken);
            }
            catch (Npgsql.NpgsqlException) when (attempt < 30)
            {
                await Task.Delay(1000, cancellationToken);
            }
        }
    }

    private static string Line(Stopwatch clock, Stats stats, Outcomes outcomes, List<(double, long Sold, long Held, long Pending)> inventory, string? fault)
    {
        var (requests, p50, p99) = stats.LastSecond();
        (double, long Sold, long Held, long Pending) last;
        lock (inventory)
        {
            last = inventory.LastOrDefault();
        }

        var statuses = stats.StatusTotals(hostile: false);
        return string.Create(CultureInfo.InvariantCulture,
            $"{clock.Elapsed.TotalSeconds,5:F0} s  {requests,5} req/s  p50 {p50,5:F0} ms  p99 {p99,5:F0} ms | holds {outcomes.Holds,5}  orders {outcomes.Orders,5}  confirmed {outcomes.Confirmed,5}  cancelled {outcomes.Cancelled,4} | sold {last.Sold,5}  held {last.Held,5}  pending {last.Pending,4} | 2xx {statuses.GetValueOrDefault("2xx"),6}  4xx {statuses.GetValueOrDefault("4xx"),6}  5xx {statuses.GetValueOrDefault("5xx"),3}  none {statuses.GetValueOrDefault("no answer"),3}{(fault is null ? "" : $" | fault: {fault}")}");
    }

    /// <summary>Prints <paramref name="line"/> once a second until disposed.</summary>
    private static IDisposable Progress(TextWriter? log, Func<string> line, CancellationToken cancellationToken)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (log is not null)
        {
            _ = Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
                while (await timer.WaitForNextTickAsync(stop.Token).AsTask().ContinueWith(task => task.IsCompletedSuccessfully && task.Result, TaskScheduler.Default))
                {
                    log.WriteLine(line());
                }
            }, CancellationToken.None);
        }

        return new Ticker(stop);
    }

    private sealed class Ticker(CancellationTokenSource stop) : IDisposable
    {
        public void Dispose()
        {
            stop.Cancel();
            stop.Dispose();
        }
    }
}
