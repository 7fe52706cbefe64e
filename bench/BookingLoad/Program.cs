using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Boxoffice.Contracts;
using Boxoffice.Contracts.Catalog;
using Boxoffice.FlashSale;
using Boxoffice.Messaging;
using Confluent.Kafka;
using Npgsql;

// Usage: BookingLoad <command> key=value...
//   race     booking= upstream= kafka= db= buyers= [lanes=] seconds= places= [keyed=true] [cpu=name:regex,...]
//   latency  booking= upstream= kafka= db= orders= rate=
//   relay    kafka= db= messages= topic= [cpu=name:regex,...]
//   tokens   identity= crowd-client= crowd-secret= web-client= email= password= lanes= seconds= warmup= grants=a,b [cpu=name:regex,...]
// Each prints "name=value" lines for bench/booking.sh (tokens: bench/identity.sh) to read.
var options = args.Skip(1).Select(arg => arg.Split('=', 2)).ToDictionary(pair => pair[0], pair => pair[1]);
string Option(string name) => options.TryGetValue(name, out var value) ? value : throw new ArgumentException($"{name}= is required");
int Number(string name) => int.Parse(Option(name), CultureInfo.InvariantCulture);

switch (args.FirstOrDefault())
{
    case "race":
        await Race.RunAsync(Option("booking"), Option("upstream"), Option("kafka"), Option("db"), Number("buyers"),
            options.ContainsKey("lanes") ? Number("lanes") : Number("buyers"), Number("seconds"), Number("places"),
            options.GetValueOrDefault("keyed") == "true", Boxoffice.Bench.BookingLoad.ProcessCpu.Parse(options.GetValueOrDefault("cpu")));
        break;
    case "latency":
        await Latency.RunAsync(Option("booking"), Option("upstream"), Option("kafka"), Option("db"), Number("orders"), Number("rate"));
        break;
    case "relay":
        await Relay.RunAsync(Option("kafka"), Option("db"), Number("messages"), Option("topic"),
            Boxoffice.Bench.BookingLoad.ProcessCpu.Parse(options.GetValueOrDefault("cpu")));
        break;
    case "tokens":
        await Boxoffice.Bench.BookingLoad.Tokens.RunAsync(Option("identity"), Option("crowd-client"), Option("crowd-secret"), Option("web-client"),
            Option("email"), Option("password"), Number("lanes"), Number("seconds"), Number("warmup"),
            Option("grants").Split(',').ToHashSet(), Boxoffice.Bench.BookingLoad.ProcessCpu.Parse(options.GetValueOrDefault("cpu")));
        break;
    default:
        Console.Error.WriteLine("Usage: BookingLoad race|latency|relay|tokens key=value...");
        return 2;
}

return 0;

internal static class Sales
{
    public static HttpClient Client(string baseAddress, int connections) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = connections,
        PooledConnectionLifetime = TimeSpan.FromMinutes(10),
    })
    {
        BaseAddress = new Uri(baseAddress),
        Timeout = TimeSpan.FromSeconds(100),
    };

    /// <summary>Announces an event of <paramref name="places"/> standing places on sale, the way the catalog does, and waits until booking sells it.</summary>
    public static async Task<(Guid EventId, Guid TierId)> OpenAsync(string kafka, HttpClient booking, int places)
    {
        var eventId = Guid.NewGuid();
        var tierId = Guid.NewGuid();
        var now = DateTimeOffset.UtcNow;
        var published = new EventPublished(eventId, 2, "bench-organizer", "Bench sale", Guid.NewGuid(), "Bench Arena", "Porto",
            now.AddDays(30), now.AddMinutes(-1), now.AddDays(29), "EUR",
            [new PublishedTier(tierId, "Standing", 30m)],
            [new PublishedSection("Floor", SectionKind.GeneralAdmission, places, tierId, [])]);
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = kafka, EnableIdempotence = true, Acks = Acks.All }).Build();
        foreach (var payload in new[]
        {
            CloudEvent.Serialize(published, Guid.NewGuid(), EventSources.Catalog, now),
            CloudEvent.Serialize(new EventUpdated(eventId, 3, EventStatus.OnSale, published.SaleOpensAt, published.SaleClosesAt), Guid.NewGuid(), EventSources.Catalog, now),
        })
        {
            await producer.ProduceAsync(Topics.CatalogEvents, new Message<string, byte[]> { Key = eventId.ToString(), Value = payload });
        }

        for (var tries = 0; tries < 600; tries++)
        {
            using var response = await booking.GetAsync($"events/{eventId}/availability");
            if (response.StatusCode == HttpStatusCode.OK && (await response.Content.ReadAsStringAsync()).Contains("\"on-sale\"", StringComparison.Ordinal))
            {
                return (eventId, tierId);
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException("Booking did not put the benchmark's event on sale within 60 s.");
    }

    public static async Task<string[]> TokensAsync(string upstream, int count, string prefix)
    {
        using var http = new HttpClient { BaseAddress = new Uri(upstream) };
        var tokens = new string[count];
        for (var i = 0; i < count; i++)
        {
            tokens[i] = await http.GetStringAsync($"token?sub={prefix}-{i}&scope=booking&role=buyer");
        }

        return tokens;
    }

    /// <summary>A hold request, with an <c>Idempotency-Key</c> when <paramref name="idempotencyKey"/> is given (as the flash sale's buyers send one).</summary>
    public static HttpRequestMessage Hold(Guid eventId, Guid tierId, string token, int quantity = 1, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"events/{eventId}/holds") { Content = JsonContent.Create(new { tierId, quantity }) };
        request.Headers.Authorization = new("Bearer", token);
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return request;
    }

    public static async Task<object?> ScalarAsync(NpgsqlDataSource db, string sql, params object[] parameters)
    {
        await using var command = db.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new() { Value = parameter });
        }

        return await command.ExecuteScalarAsync();
    }
}

/// <summary>
/// Buyers race for holds of one place each, each buyer taking hold after hold for the whole run
/// (a crowd refreshing and retrying). Counts holds per second; afterwards the database must show
/// exactly as many held units as holds answered 201, and no hold with more units than it asked for.
/// With <c>keyed</c>, every hold request carries a new <c>Idempotency-Key</c>.
/// </summary>
internal static class Race
{
    public static async Task RunAsync(string bookingUrl, string upstream, string kafka, string dbConnection, int buyers, int lanes, int seconds, int places,
        bool keyed, Boxoffice.Bench.BookingLoad.ProcessCpu cpu)
    {
        using var booking = Sales.Client(bookingUrl, lanes);
        await using var db = NpgsqlDataSource.Create(dbConnection);
        var tokens = await Sales.TokensAsync(upstream, buyers, "racer");

        // Warm-up on an event of its own: JIT tiering, pools and caches settle before the clock runs.
        var (warmEvent, warmTier) = await Sales.OpenAsync(kafka, booking, places);
        await RunAsync(booking, warmEvent, warmTier, tokens, lanes, keyed, TimeSpan.FromSeconds(Math.Max(3, seconds / 2)));

        var (eventId, tierId) = await Sales.OpenAsync(kafka, booking, places);
        var before = cpu.Read();
        var (held, refused, failed, elapsed) = await RunAsync(booking, eventId, tierId, tokens, lanes, keyed, TimeSpan.FromSeconds(seconds));
        foreach (var (name, ms) in cpu.Read())
        {
            // CPU microseconds per hold request answered (held or refused), by process.
            Console.WriteLine($"cpu_us_{name}={(held + refused == 0 ? 0 : 1000 * (ms - before[name]) / (held + refused)).ToString("F0", CultureInfo.InvariantCulture)}");
        }

        var heldUnits = (long)(await Sales.ScalarAsync(db, "SELECT count(*) FROM units WHERE event_id = $1 AND hold_id IS NOT NULL", eventId))!;
        var holds = (long)(await Sales.ScalarAsync(db, "SELECT count(*) FROM holds WHERE event_id = $1", eventId))!;
        var misfit = (long)(await Sales.ScalarAsync(db,
            "SELECT count(*) FROM holds h WHERE h.event_id = $1 AND h.units <> (SELECT count(*) FROM units u WHERE u.hold_id = h.hold_id)", eventId))!;
        Console.WriteLine($"holds={held}");
        Console.WriteLine($"refused={refused}");
        Console.WriteLine($"errors={failed}");
        Console.WriteLine($"seconds={elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture)}");
        Console.WriteLine($"holds_per_second={(held / elapsed.TotalSeconds).ToString("F1", CultureInfo.InvariantCulture)}");
        Console.WriteLine($"oversold={Math.Max(0, heldUnits - places) + Math.Abs(heldUnits - held) + Math.Abs(holds - held) + misfit}");
    }

    /// <summary>
    /// <paramref name="lanes"/> requests in flight; lane i takes holds as buyers i, i + lanes, i + 2 lanes...
    /// in turn, so fewer lanes than buyers spread the holds over every buyer and none reaches the
    /// per-buyer cap within the run.
    /// </summary>
    private static async Task<(long Held, long Refused, long Failed, TimeSpan Elapsed)> RunAsync(
        HttpClient booking, Guid eventId, Guid tierId, string[] tokens, int lanes, bool keyed, TimeSpan duration)
    {
        long held = 0, refused = 0, failed = 0;
        var clock = Stopwatch.StartNew();
        var soldOut = false;
        await Task.WhenAll(Enumerable.Range(0, Math.Min(lanes, tokens.Length)).Select(async lane =>
        {
            for (var turn = lane; !soldOut && clock.Elapsed < duration; turn = turn + lanes < tokens.Length ? turn + lanes : lane)
            {
                using var request = Sales.Hold(eventId, tierId, tokens[turn], idempotencyKey: keyed ? Guid.NewGuid().ToString() : null);
                using var response = await booking.SendAsync(request);
                switch (response.StatusCode)
                {
                    case HttpStatusCode.Created:
                        Interlocked.Increment(ref held);
                        break;
                    case HttpStatusCode.Conflict:
                        Interlocked.Increment(ref refused);
                        soldOut |= (await response.Content.ReadAsStringAsync()).Contains("sold-out", StringComparison.Ordinal);
                        break;
                    default:
                        Interlocked.Increment(ref failed);
                        Console.Error.WriteLine($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                        break;
                }
            }
        }));
        return (held, refused, failed, clock.Elapsed);
    }
}

/// <summary>
/// Orders placed at a steady rate against a healthy provider; the time from OrderPlaced to
/// TicketsIssued is read from booking's own outbox (both rows are written by booking, one clock).
/// </summary>
internal static class Latency
{
    public static async Task RunAsync(string bookingUrl, string upstream, string kafka, string dbConnection, int orders, int rate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rate, 1);
        using var booking = Sales.Client(bookingUrl, 64);
        await using var db = NpgsqlDataSource.Create(dbConnection);
        // A warm-up of three seconds at the same pace first, every order of it confirmed: the
        // consumers have joined their groups, the pools and connections are open, the code is
        // compiled. The measure is of the steady pace, not of the first seconds after a start.
        var warmUp = rate * 3;
        var tokens = await Sales.TokensAsync(upstream, warmUp + orders, "orderer");
        var (eventId, tierId) = await Sales.OpenAsync(kafka, booking, warmUp + orders);
        await PlaceAsync(booking, db, eventId, tierId, tokens[..warmUp], rate);
        var (placed, placing) = await PlaceAsync(booking, db, eventId, tierId, tokens[warmUp..], rate);
        Console.WriteLine($"orders_per_second={(orders / placing.TotalSeconds).ToString("F1", CultureInfo.InvariantCulture)}");
        await using var command = db.CreateCommand(
            """
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.99) WITHIN GROUP (ORDER BY ms), count(*)
            FROM (SELECT extract(epoch FROM t.created_at - p.created_at) * 1000 AS ms
                  FROM outbox p JOIN outbox t ON t.key = p.key AND t.type = 'boxoffice.booking.tickets-issued'
                  WHERE p.type = 'boxoffice.booking.order-placed' AND p.key = ANY($1)) AS latencies
            """);
        command.Parameters.Add(new() { Value = placed.Select(id => id.ToString()).ToArray() });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        Console.WriteLine($"orders={reader.GetInt64(2)}");
        Console.WriteLine($"p50_ms={reader.GetDouble(0).ToString("F1", CultureInfo.InvariantCulture)}");
        Console.WriteLine($"p99_ms={reader.GetDouble(1).ToString("F1", CultureInfo.InvariantCulture)}");
        await reader.DisposeAsync();

        // Where the time goes, hop by hop, as medians and 99th percentiles (every timestamp is PostgreSQL's own clock).
        await using var payments = NpgsqlDataSource.Create(dbConnection.Replace("Database=bookingdb", "Database=paymentsdb", StringComparison.Ordinal));
        foreach (var hop in await OrderHops.MeasureAsync(db, payments, [.. placed.Select(id => id.ToString())], CancellationToken.None))
        {
            Console.WriteLine($"hop_{hop.Name}_p50_ms={hop.P50Ms.ToString("F1", CultureInfo.InvariantCulture)}");
            Console.WriteLine($"hop_{hop.Name}_p99_ms={hop.P99Ms.ToString("F1", CultureInfo.InvariantCulture)}");
        }
    }

    /// <summary>
    /// Places one order per token at a steady rate, an open loop: order i starts at i / rate
    /// seconds whatever the earlier ones are doing, so the pace holds even when booking answers
    /// slowly. Returns once every one of them is confirmed, with how long the placing took.
    /// </summary>
    private static async Task<(Guid[] Placed, TimeSpan Placing)> PlaceAsync(HttpClient booking, NpgsqlDataSource db, Guid eventId, Guid tierId, string[] tokens, int rate)
    {
        var clock = Stopwatch.StartNew();
        var placing = new List<Task<Guid>>(tokens.Length);
        for (var i = 0; i < tokens.Length; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / rate) - clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due);
            }

            var token = tokens[i];
            placing.Add(Task.Run(async () =>
            {
                using var holdRequest = Sales.Hold(eventId, tierId, token);
                using var hold = await booking.SendAsync(holdRequest);
                hold.EnsureSuccessStatusCode();
                var holdId = JsonDocument.Parse(await hold.Content.ReadAsStringAsync()).RootElement.GetProperty("holdId").GetGuid();
                using var orderRequest = new HttpRequestMessage(HttpMethod.Post, "orders") { Content = JsonContent.Create(new { holdId }) };
                orderRequest.Headers.Authorization = new("Bearer", token);
                using var order = await booking.SendAsync(orderRequest);
                order.EnsureSuccessStatusCode();
                return JsonDocument.Parse(await order.Content.ReadAsStringAsync()).RootElement.GetProperty("orderId").GetGuid();
            }));
        }

        var placed = await Task.WhenAll(placing);
        var placingTime = clock.Elapsed;
        var deadline = Stopwatch.StartNew();
        while ((long)(await Sales.ScalarAsync(db, "SELECT count(*) FROM orders WHERE order_id = ANY($1) AND status = 'confirmed'", placed))! < placed.Length)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(120))
            {
                throw new InvalidOperationException("Not every order was confirmed within 120 s.");
            }

            await Task.Delay(200);
        }

        return (placed, placingTime);
    }
}

/// <summary>
/// The outbox relay's rate against a raw producer's: the same number of messages of the same size
/// to the same broker and topic. The relay's rows are committed at once; its rate is rows ÷ the
/// time until the last one is marked published.
/// </summary>
internal static class Relay
{
    public static async Task RunAsync(string kafka, string dbConnection, int messages, string topic, Boxoffice.Bench.BookingLoad.ProcessCpu cpu)
    {
        var payload = new byte[300];
        Random.Shared.NextBytes(payload);

        using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = kafka, EnableIdempotence = true, Acks = Acks.All, LingerMs = 5, QueueBufferingMaxMessages = Math.Max(100_000, messages + 1), QueueBufferingMaxKbytes = 2_000_000 }).Build())
        {
            // Warm the producer and the topic's partitions first.
            await producer.ProduceAsync(topic, new Message<string, byte[]> { Key = "warm", Value = payload });
            var rawCpu = cpu.Read();
            var clock = Stopwatch.StartNew();
            var delivered = 0;
            for (var i = 0; i < messages; i++)
            {
                producer.Produce(topic, new Message<string, byte[]> { Key = (i % 1000).ToString(CultureInfo.InvariantCulture), Value = payload }, report =>
                {
                    if (report.Error.IsError)
                    {
                        throw new InvalidOperationException(report.Error.Reason);
                    }

                    Interlocked.Increment(ref delivered);
                });
            }

            producer.Flush(TimeSpan.FromMinutes(2));
            if (delivered != messages)
            {
                throw new InvalidOperationException($"Only {delivered} of {messages} messages were acknowledged.");
            }

            Console.WriteLine($"raw_per_second={(messages / clock.Elapsed.TotalSeconds).ToString("F0", CultureInfo.InvariantCulture)}");
            PrintCpu("raw", rawCpu);
        }

        await using var db = NpgsqlDataSource.Create(dbConnection);
        // A warm-up round first, as the producer had: the relay's code is JIT-compiled and tiered
        // and PostgreSQL's caches hold the outbox's pages before the measured rows.
        await RelayAsync(db, topic, payload, Math.Max(1, messages / 5), committed: null);
        // Counted from the commit of the measured rows: their INSERT is the script's, not the relay's.
        var statements = false;
        var relayCpu = new Dictionary<string, double>();
        var relayTime = await RelayAsync(db, topic, payload, messages, committed: async () =>
        {
            statements = await StatementsResetAsync(db);
            relayCpu = cpu.Read();
        });
        Console.WriteLine($"relay_per_second={(messages / relayTime.TotalSeconds).ToString("F0", CultureInfo.InvariantCulture)}");
        PrintCpu("relay", relayCpu);
        if (statements)
        {
            await PrintStatementsAsync(db, messages);
        }

        // CPU per message by process over the phase (bench/README.md, "Profile").
        void PrintCpu(string phase, Dictionary<string, double> before)
        {
            foreach (var (name, ms) in cpu.Read())
            {
                Console.WriteLine($"cpu_us_{phase}_{name}={(1000 * (ms - before[name]) / messages).ToString("F1", CultureInfo.InvariantCulture)}");
            }
        }
    }

    /// <summary>Starts pg_stat_statements' counts afresh in this database, when the server loads it (the embedded one does).</summary>
    private static async Task<bool> StatementsResetAsync(NpgsqlDataSource db)
    {
        try
        {
            await Sales.ScalarAsync(db, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            await Sales.ScalarAsync(db, "SELECT pg_stat_statements_reset()");
            return true;
        }
        catch (PostgresException)
        {
            return false;
        }
    }

    /// <summary>The statements that took PostgreSQL's time in this database, in µs per message (bench/README.md, "Profile").</summary>
    private static async Task PrintStatementsAsync(NpgsqlDataSource db, int messages)
    {
        await using var top = db.CreateCommand(
            """
            SELECT s.calls, s.total_exec_time, left(regexp_replace(s.query, '\s+', ' ', 'g'), 90)
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = current_database() ORDER BY s.total_exec_time DESC LIMIT 6
            """);
        await using var reader = await top.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            Console.WriteLine($"statement: {(1000 * reader.GetDouble(1) / messages).ToString("F1", CultureInfo.InvariantCulture)} µs per message, {reader.GetInt64(0)} calls: {reader.GetString(2)}");
        }
    }

    /// <summary>Commits <paramref name="messages"/> outbox rows at once (then awaits <paramref name="committed"/>), wakes the relay, and times it from the commit until none is pending.</summary>
    private static async Task<TimeSpan> RelayAsync(NpgsqlDataSource db, string topic, byte[] payload, int messages, Func<Task>? committed)
    {
        long first, last;
        await using (var connection = await db.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using (var insert = new NpgsqlCommand(
                """
                WITH inserted AS (
                    INSERT INTO outbox (message_id, topic, key, type, payload)
                    SELECT m.id, $1, (m.i % 1000)::text, 'boxoffice.bench.noise', $2 FROM unnest($3::uuid[]) WITH ORDINALITY AS m(id, i)
                    RETURNING id)
                SELECT min(id), max(id) FROM inserted
                """, connection, transaction))
            {
                insert.Parameters.Add(new() { Value = topic });
                insert.Parameters.Add(new() { Value = payload });
                // UUIDv7 message ids, as OutboxWriter makes them: each new row version's entry in
                // the message_id index lands at its right edge, not at a random page.
                insert.Parameters.Add(new() { Value = Enumerable.Range(0, messages).Select(_ => Guid.CreateVersion7()).ToArray() });
                await using var reader = await insert.ExecuteReaderAsync();
                await reader.ReadAsync();
                (first, last) = (reader.GetInt64(0), reader.GetInt64(1));
            }

            await transaction.CommitAsync();
        }

        var clock = Stopwatch.StartNew();
        if (committed is not null)
        {
            await committed();
        }

        await using (var notify = db.CreateCommand("SELECT pg_notify('boxoffice_outbox', '')"))
        {
            await notify.ExecuteNonQueryAsync();
        }

        // Whether any of these rows is still pending, through the relay's own partial index, which
        // stops at the first: a count of the pending rows every 20 ms (each a heap visit) cost
        // PostgreSQL more CPU than the relay's own work and took it from the relay on two cores.
        await using var pending = db.CreateCommand("SELECT EXISTS (SELECT 1 FROM outbox WHERE published_at IS NULL AND failed_at IS NULL AND id BETWEEN $1 AND $2)");
        pending.Parameters.Add(new() { Value = first });
        pending.Parameters.Add(new() { Value = last });
        while ((bool)(await pending.ExecuteScalarAsync())!)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(5))
            {
                throw new InvalidOperationException("The relay did not publish the rows within 5 minutes.");
            }

            await Task.Delay(20);
        }

        return clock.Elapsed;
    }
}
