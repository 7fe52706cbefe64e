namespace Boxoffice.FlashSale;

/// <summary>The sale to run: its size, the crowd's behaviour, the faults and where the report goes.</summary>
public sealed record SaleOptions
{
    public int Buyers { get; init; } = 10_000;

    public int Seats { get; init; } = 1_000;

    /// <summary>
    /// Buyers in a rehearsal sale run to its verdict before this one (0: none): the services have
    /// then run every path of a sale once, as a deployment that has sold before has, so the
    /// measured sale does not open on code the runtime has yet to compile. Its event is its own.
    /// </summary>
    public int Rehearsal { get; init; }

    /// <summary>Share of the crowd that is hostile (scalper bots, malformed requests, snoopers on others' ids).</summary>
    public double HostileShare { get; init; } = 0.05;

    /// <summary>Without a waiting room: buyers arrive over this long after the sale opens (everyone refreshing at the opening minute).</summary>
    public TimeSpan Arrival { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Over how long the crowd arrives: without a waiting room <see cref="Arrival"/> after the
    /// opening; with one, the first 70 % of the lobby, as people open the pre-queue page in the
    /// minutes before a sale (the rest of the lobby is slack for the sale's set-up and slow joins).
    /// 10,000 joins in a few seconds would only measure the harness's own connection queue.
    /// </summary>
    public TimeSpan ArrivalWindow => WaitingRoom ? LobbyOrDefault * 0.7 : Arrival;

    /// <summary>A person's pause between reading and clicking, drawn up to this long.</summary>
    public TimeSpan ThinkTime { get; init; } = TimeSpan.FromMilliseconds(800);

    /// <summary>How often a buyer told "sold out" looks again (a returned place may come back) before leaving.</summary>
    public int SoldOutRetries { get; init; } = 3;

    /// <summary>How long a buyer's app polls an order for its payment result.</summary>
    public TimeSpan OrderPatience { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>
    /// Largest quantity a buyer asks for, and the sale's ticket limit (the organizer's limit per
    /// buyer, 1 to 10): honest buyers want at most this many, so the organizer's limit is what
    /// caps the scalper bots. Booking caps at the lower of it and its own MaxUnitsPerBuyer.
    /// </summary>
    public int MaxQuantity { get; init; } = 4;

    /// <summary>
    /// The sale's event sells through a waiting room (docs/adr/0010-waiting-room.md): every buyer
    /// joins its pre-queue in the lobby and holds and orders only once admitted. False: today's
    /// free-for-all, everyone clicking at the opening.
    /// </summary>
    public bool WaitingRoom { get; init; } = true;

    /// <summary>
    /// Buyers the waiting room admits a second, at most: about 500 buyers take 1,000 places (two
    /// each on average), and the waiting room admits no more than the places left serve, counting
    /// the buyers admitted and not yet holding (docs/adr/0010-waiting-room.md). So the rate is a
    /// ceiling; the pace is how fast admitted buyers hold.
    /// </summary>
    public int AdmitPerSecond { get; init; } = 100;

    /// <summary>How long an admission is valid: longer than a hold (booking's default, 10 min) and its checkout.</summary>
    public int AdmissionMinutes { get; init; } = 15;

    /// <summary>Leading zero bits of the proof of work a join needs (0: none); 8 costs a buyer's app about 256 hashes.</summary>
    public int ProofOfWorkBits { get; init; } = 8;

    /// <summary>
    /// With a waiting room: how long after the sale is set up it opens. The crowd joins the pre-queue
    /// meanwhile; whoever has not joined by then joins as a late arrival. Null: 10 s plus 10 ms a
    /// buyer (110 s for 10,000: about 130 joins a second, each a challenge and a join).
    /// </summary>
    public TimeSpan? Lobby { get; init; }

    public TimeSpan LobbyOrDefault => Lobby ?? TimeSpan.FromSeconds(10) + (Buyers * TimeSpan.FromMilliseconds(10));

    /// <summary>How long a buyer waits in the queue without being admitted or told "sold out" before leaving.</summary>
    public TimeSpan QueuePatience { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// With the harness's own AppHost: the share of traces the services record
    /// (Telemetry:TraceSamplingRatio), 1 % as the other benches and a busy deployment run them.
    /// </summary>
    public double TraceSampling { get; init; } = 0.01;

    /// <summary>Connections the harness opens to the gateway.</summary>
    public int Connections { get; init; } = 256;

    /// <summary>Faults, by name, in schedule order (see <see cref="FaultSchedule"/>).</summary>
    public IReadOnlyList<string> Faults { get; init; } = [];

    /// <summary>The first fault starts this long after the sale opens; the next ones follow this far apart.</summary>
    public TimeSpan FaultStart { get; init; } = TimeSpan.FromSeconds(3);

    public TimeSpan FaultSpacing { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>How long a windowed fault lasts (<c>provider-timeouts</c>, <c>provider-declines</c>).</summary>
    public TimeSpan FaultWindow { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>After the crowd is done and the last fault is over, how long the system may take to settle (no order pending, every event delivered).</summary>
    public TimeSpan SettleTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>The grace booking gives a pending order past its hold (Booking:PaymentGrace); the auditor allows it.</summary>
    public TimeSpan PaymentGrace { get; init; } = TimeSpan.FromMinutes(1);

    public int Seed { get; init; } = Environment.TickCount;

    public string? HtmlReport { get; init; }

    /// <summary>Where to write the run's summary as JSON (seed, size, faults, invariants, settle time), for scripts such as bench/soak.sh.</summary>
    public string? SummaryJson { get; init; }

    /// <summary>
    /// Instances of the gateway, identity, catalog, booking, payments and the waiting room when the
    /// harness runs the AppHost (<c>--replicas</c>, two by default, so a replica a fault kills has a
    /// sibling that goes on serving). Null when the harness does not choose them: against a running
    /// Boxoffice (<c>--gateway</c>) or the test suite's app.
    /// </summary>
    public int? Replicas { get; init; }

    /// <summary>Print the services' warnings and errors (only when the harness runs the AppHost).</summary>
    public bool ServiceLogs { get; init; }

    /// <summary>Live progress, one line a second; null for none.</summary>
    public TextWriter? Progress { get; init; } = Console.Error;
}
