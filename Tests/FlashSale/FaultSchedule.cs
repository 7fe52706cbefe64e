using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Npgsql;

namespace Boxoffice.FlashSale;

/// <summary>
/// Faults injected around the sale. A lobby fault (<see cref="Lobby"/>) strikes while the crowd
/// signs in, before the doors open. The faults that need work in flight (<see cref="InFlight"/>)
/// strike together at <see cref="SaleOptions.FaultStart"/>, each as soon as what it cuts is
/// there. The others then strike one after another, <see cref="SaleOptions.FaultSpacing"/>
/// apart, each once the one before it is over. Each is named on the command line (<c>--faults</c>).
/// </summary>
public sealed class FaultSchedule(SaleTarget target, SaleOptions options, TextWriter? log) : IAsyncDisposable
{
    /// <summary>Every fault the harness knows, in the order <c>--faults all</c> runs them.</summary>
    /// <remarks>
    /// The order follows the sale: the faults that need charges or relay rounds in flight strike
    /// first, together, while orders pour in; the catalog while buyers still arrive; the long
    /// outages last, so they do not push every other fault past the crowd.
    /// </remarks>
    public static readonly IReadOnlyDictionary<string, string> Known = new Dictionary<string, string>
    {
        ["identity"] = "in the lobby, once a quarter of the crowd has signed in, one identity replica is killed and started again",
        ["provider-kill"] = "the payment provider answers every charge 700 ms late, and once charges are in flight its process is killed and started again; the chaos in force before is put back",
        ["relay-crash"] = "the booking replica whose outbox relay is mid-round (holding the relay lock, rows unpublished) is killed and started again",
        ["catalog"] = "one catalog replica is killed and started again while buyers arrive and read the event",
        ["provider"] = "the payment provider fails 30 % of charges (503) and answers 20 % of them after a 2 s spike, until the crowd is done and the last fault is over",
        ["booking"] = "one booking replica is killed (SIGKILL) and started again",
        ["provider-timeouts"] = "for a window (--fault-window-seconds, 15), 25 % of charges are answered after 3 s, past Payments' 1 s attempt timeout, and made all the same",
        ["kafka"] = "the Kafka broker is down for 10 s",
        ["payments"] = "one payments replica is killed and started again",
        ["provider-declines"] = "for a window (--fault-window-seconds, 15), the payment provider declines 20 % of charges",
        ["redis"] = "Redis is restarted, its data gone",
        ["gateway"] = "one gateway replica is killed and started again",
        ["waiting-room"] = "one waiting-room replica is killed and started again while the queue admits (places, offers and the credit live in PostgreSQL; the other replica's ticker takes over)",
        ["postgres"] = "PostgreSQL is restarted (fast shutdown, then start)",
        ["kafka-long"] = "the Kafka broker is down for 45 s",
        ["postgres-long"] = "once the crowd is done, PostgreSQL is down for 60 s (fast shutdown, then start)",
    };

    /// <summary>Faults that kill an instance of a service the crowd calls: with one instance (<c>--replicas 1</c>), an outage the crowd sees.</summary>
    public static readonly IReadOnlySet<string> NeedSiblings = new HashSet<string> { "identity", "relay-crash", "catalog", "booking", "gateway", "waiting-room" };

    /// <summary>Faults that strike in the lobby, while buyers sign in.</summary>
    public static readonly IReadOnlySet<string> Lobby = new HashSet<string> { "identity" };

    /// <summary>
    /// Faults that wait for something in flight (a charge mid-way at the provider, a relay round
    /// holding unpublished rows). Orders pour in only while places are left: struck one after the
    /// other, the second could find the sale over, whichever went first. So they strike together,
    /// at the start, and the rest of the schedule waits for both.
    /// </summary>
    public static readonly IReadOnlySet<string> InFlight = new HashSet<string> { "provider-kill", "relay-crash" };

    /// <summary>The provider's added latency while <c>provider-kill</c> waits for charges in flight (under Payments' 1 s attempt timeout).</summary>
    private const int InFlightLatencyMs = 700;

    private static readonly TimeSpan LongKafkaOutage = TimeSpan.FromSeconds(45);

    private static readonly TimeSpan LongPostgresOutage = TimeSpan.FromSeconds(60);

    /// <summary>How long <c>provider-kill</c> waits for a charge in flight before it kills the provider anyway.</summary>
    private static readonly TimeSpan ChargeWait = TimeSpan.FromSeconds(30);

    private readonly ConcurrentQueue<string> _events = new();
    private readonly ConcurrentQueue<string> _notInjected = new();
    private NpgsqlDataSource? _booking;
    private NpgsqlDataSource? _provider;

    /// <summary>What happened, with seconds since the sale opened (or, marked "lobby", since sign-in began), for the report.</summary>
    public IReadOnlyCollection<string> Events => _events;

    /// <summary>Faults that ran but could not do what they are for (no relay round in flight to cut, say).</summary>
    public IReadOnlyCollection<string> NotInjected => _notInjected;

    private readonly ConcurrentDictionary<string, byte> _current = new();

    /// <summary>The faults under way, for the progress line; null when none is.</summary>
    public string? Current => _current.IsEmpty ? null : string.Join(", ", _current.Keys.Order(StringComparer.Ordinal));

    /// <summary>The lobby faults, once a quarter of the crowd has signed in (or sign-in is over).</summary>
    public async Task RunLobbyAsync(Stopwatch sinceLobby, Func<int> signedIn, Task signingIn, CancellationToken cancellationToken)
    {
        foreach (var fault in options.Faults.Where(Lobby.Contains))
        {
            var quarter = Math.Max(1, options.Buyers / 4);
            while (signedIn() < quarter && !signingIn.IsCompleted)
            {
                await Task.Delay(50, cancellationToken);
            }

            await StrikeAsync(fault, sinceLobby, "lobby ", $", struck when {signedIn():N0} of {options.Buyers:N0} buyers had signed in", cancellationToken);
        }
    }

    /// <summary>The in-flight faults together, then the others in order; <c>postgres-long</c> waits for <paramref name="crowdDone"/>.</summary>
    public async Task RunAsync(Stopwatch sinceOpen, Task crowdDone, CancellationToken cancellationToken)
    {
        var at = options.FaultStart;
        var together = options.Faults.Where(InFlight.Contains).ToList();
        if (together.Count > 0)
        {
            var wait = at - sinceOpen.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }

            await Task.WhenAll(together.Select(fault => StrikeAsync(fault, sinceOpen, "", "", cancellationToken)));
            at = sinceOpen.Elapsed + options.FaultSpacing;
        }

        foreach (var fault in options.Faults.Where(fault => !Lobby.Contains(fault) && !InFlight.Contains(fault)))
        {
            var wait = at - sinceOpen.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }

            if (fault == "postgres-long" && !crowdDone.IsCompleted)
            {
                // A minute without a database, with buyers clicking, is a minute of 503s: the
                // verdict would only say so. Once they are gone, the outage hits what they left:
                // payments, refunds and events still draining.
                Note(sinceOpen, "", $"{fault}: waiting for the crowd to be done");
                await crowdDone.WaitAsync(cancellationToken);
            }

            await StrikeAsync(fault, sinceOpen, "", "", cancellationToken);
            at += options.FaultSpacing;
        }
    }

    /// <summary>Puts back what a fault left changed (the provider's chaos) once the crowd is done and the last fault is over.</summary>
    public async Task CalmAsync(CancellationToken cancellationToken)
    {
        if (options.Faults.Contains("provider"))
        {
            await target.SetProviderChaosAsync(new JsonObject(), cancellationToken);
        }
    }

    private async Task StrikeAsync(string fault, Stopwatch clock, string phase, string context, CancellationToken cancellationToken)
    {
        await Task.Yield(); // struck together, the in-flight faults start side by side
        _current[fault] = 0;
        Note(clock, phase, $"{fault}: start");
        try
        {
            var outcome = await InjectAsync(fault, cancellationToken);
            if (outcome.StartsWith("not injected", StringComparison.Ordinal))
            {
                _notInjected.Enqueue(fault);
            }

            Note(clock, phase, $"{fault}: {outcome}{context}");
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            Note(clock, phase, $"{fault}: could not inject ({exception.Message})");
            throw;
        }
        finally
        {
            _current.TryRemove(fault, out _);
        }
    }

    private async Task<string> InjectAsync(string fault, CancellationToken cancellationToken)
    {
        switch (fault)
        {
            case "provider":
                await target.SetProviderChaosAsync(new() { ["errorRate"] = 0.3, ["spikeRate"] = 0.2, ["spikeMs"] = 2000 }, cancellationToken);
                return "chaos on until the crowd is done";
            case "provider-timeouts":
                return await ProviderWindowAsync(new() { ["timeoutRate"] = 0.25, ["timeoutMs"] = 3000 }, "25 % of charges answered after 3 s", cancellationToken);
            case "provider-declines":
                return await ProviderWindowAsync(new() { ["declineRate"] = 0.2 }, "20 % of charges declined", cancellationToken);
            case "provider-kill":
                return await KillProviderAsync(cancellationToken);
            case "kafka":
                return await BrokerDownAsync(TimeSpan.FromSeconds(10), cancellationToken);
            case "kafka-long":
                return await BrokerDownAsync(LongKafkaOutage, cancellationToken);
            case "booking" or "payments" or "gateway" or "catalog" or "identity" or "waiting-room":
            {
                var back = Stopwatch.StartNew();
                var killed = await Control().KillAndRestartReplicaAsync(fault, cancellationToken);
                return string.Create(CultureInfo.InvariantCulture, $"{killed} killed, started and healthy again in {back.Elapsed.TotalSeconds:F1} s, on its own port");
            }

            case "relay-crash":
                return await new RelayCrash(Control(), BookingDb).StrikeAsync(cancellationToken);
            case "redis":
                return $"{await Control().RestartAsync("redis-server", TimeSpan.Zero, cancellationToken)} restarted";
            case "postgres":
                return $"{await Control().RestartAsync("postgres", TimeSpan.Zero, cancellationToken)} restarted";
            case "postgres-long":
                return $"{await Control().RestartAsync("postgres", LongPostgresOutage, cancellationToken)} down {LongPostgresOutage.TotalSeconds:F0} s, started and healthy again";
            default:
                throw new ArgumentException($"Unknown fault '{fault}'. Known: {string.Join(", ", Known.Keys)}.");
        }
    }

    /// <summary>The chaos in force with <paramref name="extra"/> on top, for <see cref="SaleOptions.FaultWindow"/>; then the chaos in force before.</summary>
    private async Task<string> ProviderWindowAsync(JsonObject extra, string what, CancellationToken cancellationToken)
    {
        var before = await target.GetProviderChaosAsync(cancellationToken);
        await target.SetProviderChaosAsync(Overlay(before, extra), cancellationToken);
        try
        {
            await Task.Delay(options.FaultWindow, cancellationToken);
        }
        finally
        {
            await target.SetProviderChaosAsync(before, CancellationToken.None);
        }

        return string.Create(CultureInfo.InvariantCulture, $"{what} for {options.FaultWindow.TotalSeconds:F0} s, then the chaos before put back");
    }

    /// <summary>
    /// Slows every charge so that some are surely mid-way (recorded <c>processing</c> at the
    /// provider, not yet decided), kills the provider's process tree when one is, starts it again
    /// and puts back the chaos in force before: the provider keeps its chaos in memory, so a
    /// restart forgets it.
    /// </summary>
    private async Task<string> KillProviderAsync(CancellationToken cancellationToken)
    {
        var control = Control();
        var before = await target.GetProviderChaosAsync(cancellationToken);
        var latency = Math.Max(InFlightLatencyMs, before["latencyMs"]?.GetValue<int>() ?? 0);
        await target.SetProviderChaosAsync(Overlay(before, new() { ["latencyMs"] = latency }), cancellationToken);
        var waited = Stopwatch.StartNew();
        long inFlight;
        while ((inFlight = await ProcessingChargesAsync(cancellationToken)) == 0 && waited.Elapsed < ChargeWait)
        {
            await Task.Delay(20, cancellationToken);
        }

        var replica = (await control.RunningReplicasAsync("payment-provider", cancellationToken)).FirstOrDefault()
            ?? throw new InvalidOperationException("The payment provider is not running.");
        var waitedFor = waited.Elapsed;
        control.Kill(replica);
        var back = Stopwatch.StartNew();
        await control.StartAgainAsync(replica, cancellationToken);
        var backAfter = back.Elapsed;
        await target.SetProviderChaosAsync(before, cancellationToken);
        var killed = inFlight == 0
            ? $"{replica.Id} killed, though no charge came within {ChargeWait.TotalSeconds:F0} s"
            : string.Create(CultureInfo.InvariantCulture, $"{replica.Id} killed {waitedFor.TotalSeconds:F1} s in, with {inFlight} {(inFlight == 1 ? "charge" : "charges")} in flight at the provider");
        return string.Create(CultureInfo.InvariantCulture, $"{killed}, started and healthy again in {backAfter.TotalSeconds:F1} s, the chaos before put back");
    }

    private async Task<string> BrokerDownAsync(TimeSpan down, CancellationToken cancellationToken)
    {
        await target.SetBrokerAsync(up: false, cancellationToken);
        try
        {
            await Task.Delay(down, cancellationToken);
        }
        finally
        {
            await target.SetBrokerAsync(up: true, CancellationToken.None);
        }

        return $"broker up again after {down.TotalSeconds:F0} s";
    }

    private async Task<long> ProcessingChargesAsync(CancellationToken cancellationToken)
    {
        await using var command = ProviderDb.CreateCommand("SELECT count(*) FROM charges WHERE status = 'processing'");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static JsonObject Overlay(JsonObject chaos, JsonObject extra)
    {
        var merged = (JsonObject)chaos.DeepClone();
        foreach (var (name, value) in extra)
        {
            merged[name] = value?.DeepClone();
        }

        return merged;
    }

    private IResourceControl Control() => target.Resources
        ?? throw new InvalidOperationException("Killing and restarting resources needs the harness to run the AppHost itself (no --gateway).");

    private NpgsqlDataSource BookingDb => _booking ??= Open("bookingdb");

    private NpgsqlDataSource ProviderDb => _provider ??= Open("providerdb");

    private NpgsqlDataSource Open(string name) => NpgsqlDataSource.Create(target.Databases.TryGetValue(name, out var connection)
        ? connection
        : throw new InvalidOperationException($"This fault reads {name} (--db {name}=...)."));

    private void Note(Stopwatch clock, string phase, string text)
    {
        var line = $"{phase}{clock.Elapsed.TotalSeconds,6:F1} s  {text}";
        _events.Enqueue(line);
        log?.WriteLine($"fault  {line}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_booking is not null)
        {
            await _booking.DisposeAsync();
        }

        if (_provider is not null)
        {
            await _provider.DisposeAsync();
        }
    }
}
