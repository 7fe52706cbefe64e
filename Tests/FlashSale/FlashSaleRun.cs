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

    /// <summary>The waiting room over time, sampled every second from the lobby on (empty without one).</summary>
    public IReadOnlyList<QueueSample> QueueTimeline { get; init; } = [];

    /// <summary>Who bought: the scalper bots' places against everyone's; null when bookingdb could not be read.</summary>
    public ScalperShare? Scalpers { get; init; }

    /// <summary>Where the orders' time went between booking and payments (empty when the databases could not be read).</summary>
    public IReadOnlyList<OrderHop> OrderHops { get; init; } = [];

    /// <summary>How long the crowd's requests waited in the harness for a connection to the gateway (null: not measured).</summary>
    public ClientQueueFigures? ClientQueue { get; init; }

    /// <summary>How the waiting room served the crowd, from the buyers' side.</summary>
    public QueueFigures Queue => QueueFigures.Of(Outcomes);

    /// <summary>The rehearsal run before this sale (<see cref="SaleOptions.Rehearsal"/>), if any.</summary>
    public SaleReport? Rehearsal { get; init; }
}

/// <summary>
/// One second of the waiting room: <see cref="Waiting"/> and <see cref="AdmittedTotal"/> as the
/// waiting room counts them (<c>GET /api/waiting-room/events/{id}</c>; null when it did not answer),
/// and the crowd's own count of buyers in the queue and admitted. <see cref="Second"/> counts from the opening.
/// </summary>
public sealed record QueueSample(double Second, long? Waiting, long? AdmittedTotal, int CrowdWaiting, int CrowdAdmitted);

/// <summary>
/// The places the scalper bots' identities bought, against everyone's: their share of the places
/// over their share of the identities, and its two parts: how often a bot got to buy at all (the
/// queue's fairness) and how much it took when it did (the event's ticket limit against what an
/// honest buyer wants). <paramref name="Buyers"/> and <paramref name="ScalperBuyers"/> are the
/// identities that bought anything.
/// </summary>
public sealed record ScalperShare(int Identities, int ScalperIdentities, long Places, long ScalperPlaces, int Buyers = 0, int ScalperBuyers = 0)
{
    /// <summary>1: they bought like anybody; 46: the free-for-all the waiting room is for (ADR 0010). Null when nothing was sold or there were no bots.</summary>
    public double? Ratio => Places == 0 || ScalperIdentities == 0 ? null : (double)ScalperPlaces / Places / ((double)ScalperIdentities / Identities);

    /// <summary>The bots' share of the identities that bought over their share of all identities: 1 when the queue lets them in like anyone.</summary>
    public double? BuyerRatio => Buyers == 0 || ScalperIdentities == 0 ? null : (double)ScalperBuyers / Buyers / ((double)ScalperIdentities / Identities);

    /// <summary>Places a bot that bought took over places an honest buyer that bought took.</summary>
    public double? PlacesPerBuyerRatio => ScalperBuyers == 0 || Buyers == ScalperBuyers
        ? null
        : (double)ScalperPlaces / ScalperBuyers / ((double)(Places - ScalperPlaces) / (Buyers - ScalperBuyers));
}

/// <summary>
/// The waiting room as the buyers lived it, in seconds: the wait from joining (in the lobby, for
/// most) to the admission, and from the opening; admissions a second (from the first to the last);
/// and how long after the first buyer heard "sold out" the 99th percentile heard it.
/// </summary>
public sealed record QueueFigures(
    double? WaitP50, double? WaitP99, double? WaitSinceOpeningP50, double? WaitSinceOpeningP99, double? AdmittedPerSecond, double? SoldOutHeardP99)
{
    public static QueueFigures Of(Outcomes outcomes)
    {
        var admissions = outcomes.Admissions.ToArray();
        var waits = admissions.Select(a => a.Admitted - a.Joined).Order().ToArray();
        var sinceOpening = admissions.Select(a => a.Admitted - Math.Max(0, a.Joined)).Order().ToArray();
        var admitted = admissions.Select(a => a.Admitted).Order().ToArray();
        double? rate = admitted.Length < 2 ? null : (admitted.Length - 1) / Math.Max(1, admitted[^1] - admitted[0]);
        var heard = outcomes.SoldOutHeard.Order().ToArray();
        var spread = heard.Select(time => time - heard.FirstOrDefault()).ToArray();
        return new QueueFigures(
            Quantile(waits, 0.50), Quantile(waits, 0.99), Quantile(sinceOpening, 0.50), Quantile(sinceOpening, 0.99), rate, Quantile(spread, 0.99));
    }

    private static double? Quantile(double[] sorted, double quantile) => sorted.Length == 0 ? null : Percentiles.Of(sorted, quantile);
}

/// <summary>
/// One flash sale from start to verdict: the crowd signs in, the organizer opens the sale (with a
/// waiting room, the crowd joins its pre-queue until the announced opening), the doors open (the
/// clock starts), buyers and hostile clients race while faults strike on schedule, the system
/// settles, and the auditor reads what is left.
/// </summary>
public static class FlashSaleRun
{
    /// <summary>
    /// The sale, after its rehearsal when <see cref="SaleOptions.Rehearsal"/> asks for one: a calm
    /// sale of that many buyers for half as many places, on its own event, with the measured
    /// sale's waiting-room setting. A rehearsal that fails its audit stops the run: the system was
    /// broken before the measured sale began.
    /// </summary>
    public static async Task<SaleReport> RunRehearsedAsync(SaleTarget target, SaleOptions options, int buyerCap, CancellationToken cancellationToken)
    {
        if (options.Rehearsal == 0)
        {
            return await RunAsync(target, options, buyerCap, cancellationToken);
        }

        var log = options.Progress;
        log?.WriteLine($"rehearsal  {options.Rehearsal:N0} buyers for {Math.Max(1, options.Rehearsal / 2):N0} places, calm, before the measured sale");
        var rehearsal = await RunAsync(target, options with
        {
            Buyers = options.Rehearsal,
            Seats = Math.Max(1, options.Rehearsal / 2),
            Faults = [],
            Lobby = null,
            // Not Seed + 1: buyer i draws from Seed + i, so the rehearsal's crowd would be the measured one's, shifted by one.
            Seed = unchecked(options.Seed + options.Buyers),
            Rehearsal = 0,
            HtmlReport = null,
            SummaryJson = null,
        }, buyerCap, cancellationToken);
        var failed = rehearsal.Verdicts.Where(verdict => !verdict.Passed).Select(verdict => verdict.Invariant).ToList();
        if (failed.Count > 0)
        {
            throw new InvalidOperationException($"The rehearsal sale failed its audit ({string.Join(", ", failed)}), so the measured sale was not run.");
        }

        log?.WriteLine($"rehearsal  passed; settled at {(rehearsal.Settled is { } settled ? $"{settled.TotalSeconds:F1} s" : "never")}");
        return await RunAsync(target, options, buyerCap, cancellationToken) with { Rehearsal = rehearsal };
    }

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
        log?.WriteLine($"setup  {options.Buyers:N0} buyers ({hostile:N0} hostile) for {options.Seats:N0} places; faults: {(options.Faults.Count == 0 ? "none" : string.Join(", ", options.Faults))}; "
            + (options.WaitingRoom ? $"a waiting room admitting {options.AdmitPerSecond}/s, proof of work {options.ProofOfWorkBits} bits" : "no waiting room"));

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

        // The sale is set up once the crowd is in: with a waiting room, its opening is announced
        // for a lobby from now, and the crowd joins the pre-queue meanwhile.
        var sale = await SaleSetup.OpenAsync(http, target, options, cancellationToken);
        log?.WriteLine($"setup  event {sale.EventId} on sale in booking" + (sale.WaitingRoom ? $"; the waiting room knows it and opens it at {sale.OpensAt:HH:mm:ss}" : ""));
        // From the sale's setup on, the pre-queue's joins and polls included: the lobby's sign-ins are not the sale's requests.
        using var clientQueue = new ClientQueue(target.Gateway);
        return await RaceAsync(http, target, options, buyerCap, run, sale, tokens, honest, outcomes, faults, began, cancellationToken)
            with { ClientQueue = clientQueue.Figures() };
    }

    private static async Task<SaleReport> RaceAsync(HttpClient http, SaleTarget target, SaleOptions options, int buyerCap, string run, Sale sale, string[] tokens, int honest,
        Outcomes outcomes, FaultSchedule faults, DateTimeOffset began, CancellationToken cancellationToken)
    {
        var log = options.Progress;
        var stats = new Stats();
        var crowd = new Crowd(new Caller(http, stats), sale, options, outcomes);
        await using var auditor = new Auditor(target, sale, began, buyerCap, options.PaymentGrace);
        var inventory = new List<(double, long, long, long)>();
        var queue = new List<QueueSample>();
        TimeSpan? soldOut = null;
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task StartCrowd() => Task.WhenAll(Enumerable.Range(0, tokens.Length).Select(i => i < honest
            ? crowd.RunBuyerAsync(i, tokens[i], cancellationToken)
            : crowd.RunHostileAsync(i, tokens[i], cancellationToken)));

        Task? buyers = null;
        var queueSampler = Task.CompletedTask;
        if (sale.WaitingRoom)
        {
            // The lobby: everyone joins the pre-queue and polls it until the sale opens, at its announced time.
            stats.OpensIn(sale.OpensAt - DateTimeOffset.UtcNow);
            queueSampler = SampleQueueAsync(http, sale, stats, outcomes, queue, sampling.Token);
            buyers = StartCrowd();
            using (Progress(log, () => $"lobby  {outcomes.Joined:N0}/{tokens.Length:N0} joined the waiting room ({outcomes.JoinedPrequeue:N0} in its pre-queue){(outcomes.JoinsFailed > 0 ? $", {outcomes.JoinsFailed:N0} could not" : "")}; it opens in {Math.Max(0, -stats.Elapsed.TotalSeconds):F0} s", cancellationToken))
            {
                var untilOpening = sale.OpensAt - DateTimeOffset.UtcNow;
                if (untilOpening > TimeSpan.Zero)
                {
                    await Task.Delay(untilOpening, cancellationToken);
                }
            }

            log?.WriteLine($"lobby  {outcomes.Joined:N0} of {tokens.Length:N0} buyers joined the waiting room before it opened ({outcomes.JoinedPrequeue:N0} in its pre-queue, {outcomes.JoinsFailed:N0} joins failed)");
        }

        // The doors open.
        var clock = Stopwatch.StartNew();
        if (buyers is null)
        {
            stats.Restart();
            buyers = StartCrowd();
        }

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

        using (Progress(log, () => Line(clock, stats, outcomes, inventory, sale.WaitingRoom, faults.Current), cancellationToken))
        {
            var crowdDone = buyers.ContinueWith(_ => clock.Elapsed, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            await faults.RunAsync(clock, buyers, cancellationToken);
            log?.WriteLine($"settle the fault schedule is over at {clock.Elapsed.TotalSeconds:F1} s; settling once nobody is buying");
            var (verdicts, settled) = await SettleAsync(auditor, stats, outcomes, faults, buyers, crowdDone, clock, clock.Elapsed, options.SettleTimeout, cancellationToken);
            await buyers;
            log?.WriteLine($"crowd  done at {(await crowdDone).TotalSeconds:F1} s; settled at {(settled is { } at ? $"{at.TotalSeconds:F1} s" : "never")}");

            var scalpers = await ScalperShareAsync(auditor, run, tokens.Length, honest, cancellationToken);
            var hops = await OrderHopsAsync(auditor, cancellationToken);
            await sampling.CancelAsync();
            await sampler;
            await queueSampler;
            List<(double, long, long, long)> picture;
            lock (inventory)
            {
                picture = [.. inventory];
            }

            List<QueueSample> timeline;
            lock (queue)
            {
                timeline = [.. queue];
            }

            return new SaleReport(options, sale, stats, outcomes, verdicts, faults.Events, picture, await crowdDone, soldOut, settled, faults.NotInjected)
            {
                QueueTimeline = timeline,
                Scalpers = scalpers,
                OrderHops = hops,
            };
        }
    }

    /// <summary>The sale's orders' hops between booking and payments; empty when a database does not answer.</summary>
    private static async Task<IReadOnlyList<OrderHop>> OrderHopsAsync(Auditor auditor, CancellationToken cancellationToken)
    {
        try
        {
            return await auditor.OrderHopsAsync(cancellationToken);
        }
        catch (Npgsql.NpgsqlException)
        {
            return [];
        }
    }

    /// <summary>The scalper bots' identities' places against everyone's, from booking's confirmed orders; null when bookingdb does not answer.</summary>
    private static async Task<ScalperShare?> ScalperShareAsync(Auditor auditor, string run, int identities, int honest, CancellationToken cancellationToken)
    {
        var scalpers = Enumerable.Range(0, identities).Where(index => Crowd.IsScalper(index, honest)).Select(index => SaleSetup.Subject(run, index)).ToHashSet();
        try
        {
            var places = await auditor.PlacesByBuyerAsync(cancellationToken);
            var bought = places.Where(pair => pair.Value > 0).ToList();
            return new ScalperShare(identities, scalpers.Count, places.Values.Sum(), places.Where(pair => scalpers.Contains(pair.Key)).Sum(pair => pair.Value),
                bought.Count, bought.Count(pair => scalpers.Contains(pair.Key)));
        }
        catch (Npgsql.NpgsqlException)
        {
            return null;
        }
    }

    /// <summary>Every second until cancelled: the waiting room's count of buyers waiting and admitted, and the crowd's.</summary>
    private static async Task SampleQueueAsync(HttpClient http, Sale sale, Stats stats, Outcomes outcomes, List<QueueSample> samples, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            do
            {
                var (waiting, admitted) = await SaleSetup.QueueInfoAsync(http, sale.EventId, cancellationToken);
                var sample = new QueueSample(stats.Elapsed.TotalSeconds, waiting, admitted, Volatile.Read(ref outcomes.InQueue), Volatile.Read(ref outcomes.Admitted));
                lock (samples)
                {
                    samples.Add(sample);
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException)
        {
            // The sale is over.
        }
    }

    /// <summary>
    /// Settling: the last payments, refunds and events drain. Once the last fault is over and nobody
    /// is buying (with a waiting room, while the back of the queue may still be hearing "sold out"),
    /// the provider's chaos is put back and the auditor reads the databases every second. The sale
    /// settled at the first clean audit (every settling invariant holds) after which no purchase
    /// began; the verdicts are those of the first clean audit once the whole crowd is done, or of
    /// the last one when none comes within <paramref name="timeout"/> of that and of
    /// <paramref name="faultsOver"/> (no outage eats into it).
    /// </summary>
    private static async Task<(IReadOnlyList<Verdict> Verdicts, TimeSpan? Settled)> SettleAsync(Auditor auditor, Stats stats, Outcomes outcomes, FaultSchedule faults,
        Task buyers, Task<TimeSpan> crowdDone, Stopwatch clock, TimeSpan faultsOver, TimeSpan timeout, CancellationToken cancellationToken)
    {
        IReadOnlyList<Verdict> verdicts = [];
        TimeSpan? settled = null;
        long settledAfter = -1;
        var calmed = false;
        while (true)
        {
            if (buyers.IsFaulted)
            {
                await buyers;
            }

            var crowdWasDone = buyers.IsCompleted;
            var purchases = Volatile.Read(ref outcomes.Purchases);
            var idle = Volatile.Read(ref outcomes.Buying) == 0 && (purchases > 0 || crowdWasDone);
            var clean = false;
            if (idle)
            {
                if (!calmed)
                {
                    await faults.CalmAsync(cancellationToken);
                    calmed = true;
                }

                verdicts = await AuditRetryingAsync(auditor, stats, outcomes, cancellationToken);
                clean = verdicts.All(verdict => verdict.Passed || !verdict.Settles) && Volatile.Read(ref outcomes.Purchases) == purchases;
            }

            if (!clean)
            {
                settled = null;
            }
            else if (settled is null || purchases != settledAfter)
            {
                settled = clock.Elapsed;
                settledAfter = purchases;
            }

            if (crowdWasDone && (settled is not null || clock.Elapsed > TimeSpan.FromTicks(Math.Max((await crowdDone).Ticks, faultsOver.Ticks)) + timeout))
            {
                return (verdicts, settled);
            }

            await Task.Delay(1000, cancellationToken);
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

    private static string Line(Stopwatch clock, Stats stats, Outcomes outcomes, List<(double, long Sold, long Held, long Pending)> inventory, bool waitingRoom, string? fault)
    {
        var (requests, p50, p99) = stats.LastSecond();
        (double, long Sold, long Held, long Pending) last;
        lock (inventory)
        {
            last = inventory.LastOrDefault();
        }

        var statuses = stats.StatusTotals(hostile: false);
        return string.Create(CultureInfo.InvariantCulture,
            $"{clock.Elapsed.TotalSeconds,5:F0} s  {requests,5} req/s  p50 {p50,5:F0} ms  p99 {p99,5:F0} ms{(waitingRoom ? $" | queue {Volatile.Read(ref outcomes.InQueue),6}  admitted {Volatile.Read(ref outcomes.Admitted),5}" : "")} | holds {outcomes.Holds,5}  orders {outcomes.Orders,5}  confirmed {outcomes.Confirmed,5}  cancelled {outcomes.Cancelled,4} | sold {last.Sold,5}  held {last.Held,5}  pending {last.Pending,4} | 2xx {statuses.GetValueOrDefault("2xx"),6}  4xx {statuses.GetValueOrDefault("4xx"),6}  5xx {statuses.GetValueOrDefault("5xx"),3}  none {statuses.GetValueOrDefault("no answer"),3}{(fault is null ? "" : $" | fault: {fault}")}");
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
