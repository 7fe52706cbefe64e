using System.Globalization;
using Boxoffice.FlashSale;

// Runs one flash sale and prints its report; exit code 0 when every invariant holds, 1 when one
// fails, 2 for a usage error, 3 when the sale could not be run or audited. Usage: see README.md beside this file, or --help.
try
{
    var arguments = Arguments.Parse(args);
    if (arguments.Has("help"))
    {
        Console.WriteLine(Arguments.Usage);
        return 0;
    }

    if (arguments.Has("queue-load"))
    {
        // The queue bench's load client (bench/waitingroom.sh), not a sale.
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        await QueueLoad.RunAsync(arguments.QueueLoadOptions(), Console.Out, Console.Error, stop.Token);
        return 0;
    }

    var faults = arguments.Get("faults", "none")! switch
    {
        "none" => [],
        "all" => FaultSchedule.Known.Keys.ToList(),
        var list => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(),
    };
    var unknown = faults.Where(fault => !FaultSchedule.Known.ContainsKey(fault)).ToList();
    if (unknown.Count > 0)
    {
        throw new ArgumentException($"Unknown fault(s) {string.Join(", ", unknown)}. Known: {string.Join(", ", FaultSchedule.Known.Keys)}.");
    }

    var options = new SaleOptions
    {
        Buyers = arguments.Number("buyers", 10_000),
        Seats = arguments.Number("seats", 1_000),
        Rehearsal = arguments.Count("rehearsal", 0, most: 100_000),
        HostileShare = arguments.Fraction("hostile", 0.05),
        Faults = faults,
        Seed = arguments.Number("seed", Environment.TickCount & 0xFFFFFF),
        Arrival = TimeSpan.FromSeconds(arguments.Number("arrival-seconds", 5)),
        ThinkTime = TimeSpan.FromMilliseconds(arguments.Number("think-ms", 800)),
        Connections = arguments.Number("connections", 256),
        PaymentGrace = TimeSpan.FromSeconds(arguments.Number("payment-grace-seconds", 60)),
        FaultWindow = TimeSpan.FromSeconds(arguments.Number("fault-window-seconds", 15)),
        HtmlReport = arguments.Get("html", null),
        SummaryJson = arguments.Get("summary-json", null),
        ServiceLogs = arguments.Has("service-logs"),
        WaitingRoom = !arguments.Has("no-waiting-room"),
        AdmitPerSecond = arguments.Number("admit-rate", 100),
        AdmissionMinutes = arguments.Number("admission-minutes", 15),
        ProofOfWorkBits = arguments.Count("proof-of-work-bits", 8, most: 24),
        TraceSampling = arguments.Fraction("trace-sampling", 0.01, most: 1),
        Lobby = arguments.Get("lobby-seconds", null) is null ? null : TimeSpan.FromSeconds(arguments.Number("lobby-seconds", 0)),
        Replicas = arguments.Get("gateway", null) is null ? arguments.Between("replicas", 2, least: 1, most: 4)
            : arguments.Has("replicas") ? throw new ArgumentException("--replicas is for the AppHost the harness starts, not with --gateway.") : null,
    };
    if (options.Replicas == 1 && faults.Where(FaultSchedule.NeedSiblings.Contains).ToList() is { Count: > 0 } alone)
    {
        throw new ArgumentException($"--replicas 1 leaves the crowd no sibling to turn to when a fault kills an instance: {string.Join(", ", alone)} (run them with 2 or more).");
    }

    var buyerCap = arguments.Number("buyer-cap", 6);
    using var interrupt = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        interrupt.Cancel();
    };

    SaleReport report;
    if (arguments.Get("gateway", null) is { } gateway)
    {
        report = await FlashSaleRun.RunRehearsedAsync(arguments.RemoteTarget(new Uri(gateway)), options, buyerCap, interrupt.Token);
    }
    else
    {
        await using var host = await OwnAppHost.StartAsync(options, interrupt.Token);
        report = await FlashSaleRun.RunRehearsedAsync(await AspireTarget.CreateAsync(host.App, interrupt.Token), options, buyerCap, interrupt.Token);
    }

    SaleReportWriter.WriteText(report, Console.Out);
    if (options.HtmlReport is { } html)
    {
        await File.WriteAllTextAsync(html, SaleReportWriter.Html(report), interrupt.Token);
        Console.WriteLine($"HTML report: {Path.GetFullPath(html)}");
    }

    if (options.SummaryJson is { } summary)
    {
        await File.WriteAllTextAsync(summary, SaleReportWriter.SummaryJson(report), interrupt.Token);
    }

    return report.Passed ? 0 : 1;
}
catch (ArgumentException usage)
{
    Console.Error.WriteLine(usage.Message);
    Console.Error.WriteLine(Arguments.Usage);
    return 2;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("Stopped before the sale was audited: no verdict.");
    return 3;
}
catch (Exception failure) when (failure is InvalidOperationException or TimeoutException or HttpRequestException or Npgsql.NpgsqlException or DistributedApplicationException)
{
    // The sale could not be run or audited (the AppHost did not start, a fault could not be
    // injected, a restarted replica did not come back, a database was unreachable): say which, without a stack trace, and give no verdict.
    Console.Error.WriteLine($"The flash sale could not run: {failure.Message}");
    return 3;
}

/// <summary><c>--name value</c> pairs; flags without a value are "true".</summary>
internal sealed class Arguments
{
    public static readonly string Usage = $"""
        Boxoffice.FlashSale [options]
          --buyers N               buyers in the crowd (default 10000)
          --seats M                places on sale (default 1000)
          --rehearsal N            first run a rehearsal sale of N buyers for N/2 places on an event of its
                                   own, calm, to its verdict (default 0: none), so the measured sale opens on
                                   services that have sold before, not on code the runtime has yet to compile
          --hostile F              share of hostile clients, 0..0.5 (default 0.05)
          --faults LIST            none | all | comma list, run in the order given, of:
                                   {string.Join(", ", FaultSchedule.Known.Keys)}
          --fault-window-seconds S how long provider-timeouts and provider-declines last (default 15)
          --html FILE              also write the report as an HTML page with charts
          --summary-json FILE      also write a summary (seed, size, faults, invariants, settle time) as JSON
          --service-logs           print the services' warnings and errors (with the harness's own AppHost)
          --no-waiting-room        sell without a waiting room: everyone clicks at the opening (the free-for-all)
          --admit-rate N           buyers the waiting room admits a second (default 100)
          --admission-minutes N    how long an admission lasts (default 15; more than a hold and its checkout)
          --proof-of-work-bits N   zero bits a join's proof of work needs, 0..24 (default 8; 0: none)
          --trace-sampling F       share of traces the services record, 0..1 (default 0.01, as a busy
                                   deployment; the harness runs no collector, so nothing is exported)
          --lobby-seconds S        from setting up the sale to its opening, while the crowd joins the
                                   pre-queue, arriving over its first 70 % (default 10 s + 10 ms a buyer)
          --arrival-seconds S      without a waiting room, buyers arrive over S after the opening (default 5)
          --replicas N             instances of the gateway, identity, catalog, booking, payments and the
                                   waiting room, 1..4 (default 2, so a killed replica has a sibling; 1
                                   refuses the faults that kill one the crowd calls)
          --seed N, --think-ms MS, --connections N
        Without --gateway the harness starts the AppHost itself (embedded mode, N instances (--replicas,
        default 2) of each of the gateway, identity, catalog, booking, payments and the waiting room) and
        every fault is available (with --replicas 1, all but those that kill an instance the crowd calls).
        Against a running Boxoffice:
          --gateway URL --backoffice-secret S --crowd-secret S
          --db bookingdb=CONN --db paymentsdb=CONN --db providerdb=CONN --db catalogdb=CONN
          [--provider URL --provider-admin-key K] [--broker-control URL] [--buyer-cap N] [--payment-grace-seconds S]
        (--buyer-cap: booking's Booking:MaxUnitsPerBuyer, default 6; the audit's cap is the lower of it and the
        sale's ticket limit, {new SaleOptions().MaxQuantity}, the most an honest buyer asks for)
        The queue bench's load client (bench/waitingroom.sh): buyers join an event's waiting room through a
        gateway with tokens from a token endpoint (GET URL?sub=&scope=&role=, as bench/Upstream signs them),
        and poll as told; prints name=value lines:
          --queue-load --gateway URL --event ID --token-url URL [--buyers N (50000)] [--poll-seconds S (60)]
          [--connections N (256)] [--seed N]
        """;

    private readonly Dictionary<string, List<string>> _values = [];

    public static Arguments Parse(string[] args)
    {
        var parsed = new Arguments();
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Unexpected argument '{args[i]}'.");
            }

            var name = args[i][2..];
            var value = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
            if (!parsed._values.TryGetValue(name, out var list))
            {
                parsed._values[name] = list = [];
            }

            list.Add(value);
        }

        return parsed;
    }

    public bool Has(string name) => _values.ContainsKey(name);

    public string? Get(string name, string? fallback) => _values.TryGetValue(name, out var list) ? list[^1] : fallback;

    public int Number(string name, int fallback) =>
        Get(name, null) is not { } text ? fallback
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value
        : throw new ArgumentException($"--{name} must be a positive whole number, not '{text}'.");

    /// <summary>A whole number from <paramref name="least"/> to <paramref name="most"/>.</summary>
    public int Between(string name, int fallback, int least, int most) =>
        Get(name, null) is not { } text ? fallback
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= least && value <= most ? value
        : throw new ArgumentException($"--{name} must be a whole number from {least} to {most}, not '{text}'.");

    /// <summary>A whole number from 0 to <paramref name="most"/>.</summary>
    public int Count(string name, int fallback, int most) =>
        Get(name, null) is not { } text ? fallback
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value <= most ? value
        : throw new ArgumentException($"--{name} must be a whole number from 0 to {most}, not '{text}'.");

    public double Fraction(string name, double fallback, double most = 0.5) =>
        Get(name, null) is not { } text ? fallback
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0 && value <= most ? value
        : throw new ArgumentException($"--{name} must be between 0 and {most.ToString(CultureInfo.InvariantCulture)}, not '{text}'.");

    public QueueLoadOptions QueueLoadOptions() => new(
        new Uri(Get("gateway", null) ?? throw new ArgumentException("--gateway is required with --queue-load.")),
        Guid.TryParse(Get("event", null), out var eventId) ? eventId : throw new ArgumentException("--event must be the event's id with --queue-load."),
        new Uri(Get("token-url", null) ?? throw new ArgumentException("--token-url is required with --queue-load.")),
        Number("buyers", 50_000),
        TimeSpan.FromSeconds(Number("poll-seconds", 60)),
        Number("connections", 256),
        Number("seed", Environment.TickCount & 0xFFFFFF));

    public SaleTarget RemoteTarget(Uri gateway) => new()
    {
        Gateway = gateway,
        BackofficeSecret = Get("backoffice-secret", null) ?? throw new ArgumentException("--backoffice-secret is required with --gateway."),
        CrowdSecret = Get("crowd-secret", null) ?? throw new ArgumentException("--crowd-secret is required with --gateway."),
        Databases = (_values.GetValueOrDefault("db") ?? []).Select(pair => pair.Split('=', 2)).Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0], pair => pair[1]),
        Provider = Get("provider", null) is { } provider ? new Uri(provider) : null,
        ProviderAdminKey = Get("provider-admin-key", null),
        BrokerControl = Get("broker-control", null) is { } broker ? new Uri(broker) : null,
    };
}
