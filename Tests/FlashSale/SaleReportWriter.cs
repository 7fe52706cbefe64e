using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Boxoffice.FlashSale;

/// <summary>The report: throughput, latency per endpoint, outcomes, faults and the audit; as text, and as an HTML page with charts.</summary>
public static class SaleReportWriter
{
    /// <summary>
    /// The seconds a 10,000-buyer sale may take to sell or release every place: through a waiting
    /// room 30 calm and 45 under faults; without one, the 60 the first issue gave the free-for-all.
    /// </summary>
    public static int SettleTarget(SaleOptions options) => !options.WaitingRoom ? 60 : options.Faults.Count == 0 ? 30 : 45;

    /// <summary>The p99 of an admitted buyer's hold: 500 ms calm, 2 s under faults; none without a waiting room (everyone holds at once).</summary>
    public static string HoldTarget(SaleOptions options) => !options.WaitingRoom ? "none, without a waiting room" : options.Faults.Count == 0 ? "<= 500" : "<= 2000";

    /// <summary>The p99 of "POST hold" (every honest buyer's hold; with a waiting room, all of them admitted).</summary>
    public static double? HoldP99(Stats stats) =>
        stats.Endpoints().Where(endpoint => endpoint.Name == "POST hold").Select(endpoint => (double?)endpoint.P99).FirstOrDefault();

    public static void WriteText(SaleReport report, TextWriter output)
    {
        var o = report.Outcomes;
        var requests = report.Stats.Endpoints().Sum(endpoint => endpoint.Count);
        output.WriteLine();
        output.WriteLine($"Flash sale: {report.Options.Buyers:N0} buyers for {report.Sale.Seats:N0} places, event {report.Sale.EventId}, seed {report.Options.Seed}"
            + (report.Options.Replicas is { } replicas ? $", {replicas} instance{(replicas == 1 ? "" : "s")} of each service" : ""));
        if (report.Rehearsal is { } rehearsal)
        {
            output.WriteLine($"  after a rehearsal sale of {rehearsal.Options.Buyers:N0} buyers for {rehearsal.Sale.Seats:N0} places on event {rehearsal.Sale.EventId} (every invariant held; settled at {Seconds(rehearsal.Settled)})");
        }
        output.WriteLine($"  crowd done at {report.CrowdDone.TotalSeconds:F1} s; {requests:N0} requests, {requests / Math.Max(1, report.CrowdDone.TotalSeconds):F0}/s on average");
        output.WriteLine($"  sold out at {Seconds(report.SoldOut)}; settled (no purchase under way, every event delivered, audit clean) at {Seconds(report.Settled)}");
        output.WriteLine($"  buyers: {o.Holds:N0} holds ({o.HoldsReleased:N0} released), {o.Orders:N0} orders, {o.Confirmed:N0} confirmed, {o.Cancelled:N0} cancelled, {o.Pending:N0} still pending, {o.UnitsBought:N0} places bought, {o.SoldOutAnswers:N0} sold-out answers, {o.GaveUp:N0} left empty-handed");
        var queue = report.Queue;
        if (report.Sale.WaitingRoom)
        {
            output.WriteLine($"  waiting room ({report.Options.AdmitPerSecond}/s, proof of work {report.Options.ProofOfWorkBits} bits): {o.Joined:N0} joined ({o.JoinedPrequeue:N0} in the pre-queue, {o.JoinsFailed:N0} could not), {o.Admitted:N0} admitted ({Number(queue.AdmittedPerSecond, "F1")}/s), {o.ToldSoldOut:N0} told \"sold out\", {o.ToldClosed:N0} \"closed\", {o.LeftQueue:N0} left after {report.Options.QueuePatience.TotalMinutes:F0} min, {o.QueueRefused:N0} refused");
            output.WriteLine($"    wait to be admitted: p50 {Number(queue.WaitP50, "F1")} s, p99 {Number(queue.WaitP99, "F1")} s from joining; p50 {Number(queue.WaitSinceOpeningP50, "F1")} s, p99 {Number(queue.WaitSinceOpeningP99, "F1")} s from the opening; \"sold out\" heard by the 99th percentile {Number(queue.SoldOutHeardP99, "F1")} s after the first");
        }

        if (report.Scalpers is { } scalpers)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  scalper bots: {scalpers.ScalperIdentities:N0} identities of {scalpers.Identities:N0} ({100.0 * scalpers.ScalperIdentities / Math.Max(1, scalpers.Identities):F1} %) bought {scalpers.ScalperPlaces:N0} of {scalpers.Places:N0} places ({100.0 * scalpers.ScalperPlaces / Math.Max(1, scalpers.Places):F1} %): {Number(scalpers.Ratio, "F2")} times their share; {scalpers.ScalperBuyers:N0} of the {scalpers.Buyers:N0} identities that bought ({Number(scalpers.BuyerRatio, "F2")} times their share), {Number(scalpers.PlacesPerBuyerRatio, "F2")} times an honest buyer's places each"));
        }

        output.WriteLine();
        output.WriteLine($"  {"endpoint",-50} {"count",8} {"p50 ms",8} {"p99 ms",8} {"max ms",8}  statuses");
        foreach (var (name, count, p50, p99, max, statuses) in report.Stats.Endpoints())
        {
            var codes = string.Join(" ", statuses.OrderBy(pair => pair.Key).Select(pair => $"{(pair.Key == 0 ? "none" : pair.Key.ToString(CultureInfo.InvariantCulture))}:{pair.Value}"));
            output.WriteLine($"  {name,-50} {count,8:N0} {p50,8:F1} {p99,8:F1} {max,8:F0}  {codes}");
        }

        if (report.Faults.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("  faults:");
            foreach (var line in report.Faults)
            {
                output.WriteLine($"    {line}");
            }
        }

        output.WriteLine();
        output.WriteLine("  audit:");
        foreach (var verdict in report.Verdicts)
        {
            output.WriteLine($"    {(verdict.Passed ? "PASS" : "FAIL")}  {verdict.Invariant}: {verdict.Detail}");
            foreach (var offending in verdict.Offending.Take(20))
            {
                output.WriteLine($"            {offending}");
            }

            if (verdict.Offending.Count > 20)
            {
                output.WriteLine($"            ... and {verdict.Offending.Count - 20} more");
            }
        }

        var wellFormed = report.Stats.StatusTotals(hostile: false);
        var hostile = report.Stats.StatusTotals(hostile: true);
        output.WriteLine();
        var options = report.Options;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"settle_seconds: {Seconds(report.Settled, suffix: "")} (target: <= {SettleTarget(options)})"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sold_out_seconds: {Seconds(report.SoldOut, suffix: "")} (target: none)"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"requests_per_second: {requests / Math.Max(1, report.CrowdDone.TotalSeconds):F0} (target: none)"));
        output.WriteLine($"hold_p99_ms: {Number(HoldP99(report.Stats), "F0")} (target: {HoldTarget(options)})");
        if (report.ClientQueue is { } waits)
        {
            // Every latency above, and the 30 s after which a request counts as unanswered, includes this wait.
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"client_queue_p99_ms: {waits.P99Ms:F0} (target: none, the harness's own wait for one of its {options.Connections} connections; {waits.Waited} requests waited, {waits.OverASecond} over 1 s, longest {waits.MaxMs:F0} ms)"));
        }
        foreach (var hop in report.OrderHops)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"order_hop_{hop.Name}_p99_ms: {hop.P99Ms:F0} (target: none, p50 {hop.P50Ms:F0}, {hop.Orders} orders)"));
        }

        if (report.Sale.WaitingRoom)
        {
            output.WriteLine($"queue_wait_p50_seconds: {Number(queue.WaitP50, "F1")} (target: none, from joining to admitted)");
            output.WriteLine($"queue_wait_p99_seconds: {Number(queue.WaitP99, "F1")} (target: none, from joining to admitted)");
            output.WriteLine($"admitted_per_second: {Number(queue.AdmittedPerSecond, "F1")} (target: <= {options.AdmitPerSecond}, the event's rate)");
        }

        output.WriteLine($"scalper_share_ratio: {Number(report.Scalpers?.Ratio, "F2")} (target: {(report.Sale.WaitingRoom ? "<= 2" : "none, without a waiting room")})");
        output.WriteLine($"scalper_buyer_share_ratio: {Number(report.Scalpers?.BuyerRatio, "F2")} (target: none, the part the queue decides: 1 is a fair draw; {report.Scalpers?.ScalperBuyers} bots bought)");
        output.WriteLine($"scalper_places_per_buyer_ratio: {Number(report.Scalpers?.PlacesPerBuyerRatio, "F2")} (target: none, the part the ticket limit decides)");
        output.WriteLine($"server_errors_to_well_formed: {wellFormed.GetValueOrDefault("5xx")} (target: 0)");
        output.WriteLine($"hostile_not_refused: {o.HostileFailures.Count} of {o.HostileRequests} (target: 0)");
        output.WriteLine($"hostile_answered_4xx: {hostile.GetValueOrDefault("4xx")} of {o.HostileRequests} (target: all but a scalper's successes)");
        output.WriteLine($"faults_not_injected: {report.FaultsNotInjected.Count} of {report.Options.Faults.Count} (target: 0)");
        output.WriteLine($"invariants_failed: {report.Verdicts.Count(verdict => !verdict.Passed)} of {report.Verdicts.Count} (target: 0)");
        output.WriteLine(report.Passed ? "VERDICT: PASS" : "VERDICT: FAIL");
    }

    /// <summary>
    /// The run in one JSON object, for scripts (bench/soak.sh): what was asked (seed, size,
    /// faults) and what came of it (each invariant, the faults that could not do their work, the
    /// settle and sell-out times in seconds, null for never; the hold's p99 and the harness's own
    /// wait for a connection).
    /// </summary>
    public static string SummaryJson(SaleReport report)
    {
        var statuses = report.Stats.StatusTotals(hostile: false);
        return JsonSerializer.Serialize(new
        {
            seed = report.Options.Seed,
            replicas = report.Options.Replicas,
            buyers = report.Options.Buyers,
            seats = report.Sale.Seats,
            rehearsalBuyers = report.Rehearsal?.Options.Buyers ?? 0,
            hostileShare = report.Options.HostileShare,
            faults = report.Options.Faults,
            faultsNotInjected = report.FaultsNotInjected,
            faultEvents = report.Faults,
            passed = report.Passed,
            invariantsPassed = report.Verdicts.Count(verdict => verdict.Passed),
            invariantsTotal = report.Verdicts.Count,
            invariants = report.Verdicts.Select(verdict => new { name = verdict.Invariant, verdict.Passed, verdict.Detail, offending = verdict.Offending.Count }),
            crowdDoneSeconds = Math.Round(report.CrowdDone.TotalSeconds, 1),
            soldOutSeconds = report.SoldOut is { } soldOut ? Math.Round(soldOut.TotalSeconds, 1) : (double?)null,
            settleSeconds = report.Settled is { } settled ? Math.Round(settled.TotalSeconds, 1) : (double?)null,
            requests = report.Stats.Endpoints().Sum(endpoint => endpoint.Count),
            serverErrorsToWellFormed = statuses.GetValueOrDefault("5xx"),
            unanswered = statuses.GetValueOrDefault("no answer"),
            holdP99Ms = HoldP99(report.Stats) is { } hold ? Math.Round(hold, 1) : (double?)null,
            // The harness's own wait for a connection, which every latency the summary reports includes.
            clientQueue = report.ClientQueue is { } waits
                ? new { connections = report.Options.Connections, p99Ms = Math.Round(waits.P99Ms, 1), maxMs = Math.Round(waits.MaxMs, 1), waited = waits.Waited, overASecond = waits.OverASecond }
                : null,
            waitingRoom = report.Sale.WaitingRoom
                ? new
                {
                    admitPerSecond = report.Options.AdmitPerSecond,
                    proofOfWorkBits = report.Options.ProofOfWorkBits,
                    joined = report.Outcomes.Joined,
                    joinedPrequeue = report.Outcomes.JoinedPrequeue,
                    joinsFailed = report.Outcomes.JoinsFailed,
                    admitted = report.Outcomes.Admitted,
                    toldSoldOut = report.Outcomes.ToldSoldOut,
                    toldClosed = report.Outcomes.ToldClosed,
                    leftQueue = report.Outcomes.LeftQueue,
                    queueRefused = report.Outcomes.QueueRefused,
                    waitP50Seconds = Round(report.Queue.WaitP50),
                    waitP99Seconds = Round(report.Queue.WaitP99),
                    waitSinceOpeningP50Seconds = Round(report.Queue.WaitSinceOpeningP50),
                    waitSinceOpeningP99Seconds = Round(report.Queue.WaitSinceOpeningP99),
                    admittedPerSecond = Round(report.Queue.AdmittedPerSecond),
                    soldOutHeardP99Seconds = Round(report.Queue.SoldOutHeardP99),
                }
                : null,
            scalpers = report.Scalpers is { } scalpers
                ? new { identities = scalpers.Identities, scalperIdentities = scalpers.ScalperIdentities, places = scalpers.Places, scalperPlaces = scalpers.ScalperPlaces, shareRatio = Round(scalpers.Ratio, 2),
                    buyers = scalpers.Buyers, scalperBuyers = scalpers.ScalperBuyers, buyerShareRatio = Round(scalpers.BuyerRatio, 2), placesPerBuyerRatio = Round(scalpers.PlacesPerBuyerRatio, 2) }
                : null,
        }, SummaryOptions);

        static double? Round(double? value, int digits = 1) => value is { } number ? Math.Round(number, digits) : null;
    }

    private static readonly JsonSerializerOptions SummaryOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private static string Number(double? value, string format) =>
        value is { } number ? number.ToString(format, CultureInfo.InvariantCulture) : "none";

    private static string Seconds(TimeSpan? time, string suffix = " s") =>
        time is { } value ? value.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) + suffix : "never";

    /// <summary>A self-contained page: the figures, and SVG charts of throughput, latency and the inventory over time.</summary>
    public static string Html(SaleReport report)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture);
        WriteText(report, text);
        var timeline = report.Stats.Timeline().ToList();
        var html = new StringBuilder();
        html.Append("<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Boxoffice flash sale</title>")
            .Append("<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}pre{background:#f6f6f6;padding:1em;overflow:auto}svg{background:#fcfcfc;border:1px solid #ddd;margin:.5em 0}</style>")
            .Append("<h1>Flash sale: ").Append(report.Passed ? "PASS" : "FAIL").Append("</h1>");
        html.Append("<h2>Requests per second (red: 5xx, grey: no answer)</h2>")
            .Append(Chart([("requests", "#3060c0", timeline.Select(s => ((double)s.Second, (double)s.Requests))),
                ("5xx", "#d03030", timeline.Select(s => ((double)s.Second, (double)s.ServerErrors))),
                ("no answer", "#888888", timeline.Select(s => ((double)s.Second, (double)s.NoAnswers)))]));
        html.Append("<h2>Latency, ms (p50 blue, p99 orange)</h2>")
            .Append(Chart([("p50", "#3060c0", timeline.Select(s => ((double)s.Second, s.P50))), ("p99", "#e08020", timeline.Select(s => ((double)s.Second, s.P99)))]));
        html.Append("<h2>Places: sold (green), held (blue); orders pending payment (orange)</h2>")
            .Append(Chart([("sold", "#30a050", report.Inventory.Select(i => (i.Second, (double)i.Sold))),
                ("held", "#3060c0", report.Inventory.Select(i => (i.Second, (double)i.Held))),
                ("pending", "#e08020", report.Inventory.Select(i => (i.Second, (double)i.Pending)))]));
        if (report.Sale.WaitingRoom)
        {
            var samples = report.QueueTimeline;
            var crowdAdmissions = report.Outcomes.Admissions.GroupBy(admission => Math.Floor(admission.Admitted)).OrderBy(second => second.Key)
                .Select(second => (second.Key, (double)second.Count()));
            var queueAdmissions = samples.Zip(samples.Skip(1))
                .Where(pair => pair.First.AdmittedTotal is not null && pair.Second.AdmittedTotal is not null && pair.Second.Second > pair.First.Second)
                .Select(pair => (pair.Second.Second, (double)(pair.Second.AdmittedTotal!.Value - pair.First.AdmittedTotal!.Value) / (pair.Second.Second - pair.First.Second)));
            html.Append("<h2>Queue length: buyers waiting (blue: the waiting room's count; grey: the crowd's), from the lobby</h2>")
                .Append(Chart([("waiting (waiting room)", "#3060c0", samples.Where(s => s.Waiting is not null).Select(s => (s.Second, (double)s.Waiting!.Value))),
                    ("waiting (crowd)", "#888888", samples.Select(s => (s.Second, (double)s.CrowdWaiting)))]));
            html.Append("<h2>Admissions per second (green: the crowd's admissions; blue: the waiting room's count)</h2>")
                .Append(Chart([("admitted (crowd)", "#30a050", crowdAdmissions), ("admitted (waiting room)", "#3060c0", queueAdmissions)]));
        }

        html.Append("<h2>Report</h2><pre>").Append(WebUtility.HtmlEncode(text.ToString())).Append("</pre></html>");
        return html.ToString();
    }

    private static string Chart(IReadOnlyList<(string Name, string Colour, IEnumerable<(double X, double Y)> Points)> series)
    {
        const int width = 900, height = 220, pad = 40;
        var all = series.Select(s => (s.Name, s.Colour, Points: s.Points.ToList())).ToList();
        // Seconds count from the opening: a waiting room's lobby is on the left of zero.
        var minX = Math.Min(0, all.SelectMany(s => s.Points).Select(p => p.X).DefaultIfEmpty(0).Min());
        var maxX = Math.Max(minX + 1, all.SelectMany(s => s.Points).Select(p => p.X).DefaultIfEmpty(1).Max());
        var maxY = Math.Max(1, all.SelectMany(s => s.Points).Select(p => p.Y).DefaultIfEmpty(1).Max());
        var svg = new StringBuilder().Append(CultureInfo.InvariantCulture, $"<svg width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"14\" font-size=\"11\">{maxY:F0}</text><text x=\"{width - pad}\" y=\"{height - 4}\" font-size=\"11\">{maxX:F0} s</text>");
        if (minX < 0)
        {
            var zero = pad + (-minX / (maxX - minX) * (width - (2 * pad)));
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"{height - 4}\" font-size=\"11\">{minX:F0} s</text><line x1=\"{zero:F1}\" y1=\"10\" x2=\"{zero:F1}\" y2=\"{height - pad + 10}\" stroke=\"#bbbbbb\" stroke-dasharray=\"4 3\"><title>the opening</title></line>");
        }

        foreach (var (name, colour, points) in all)
        {
            var path = string.Join(" ", points.Select(p => string.Create(CultureInfo.InvariantCulture,
                $"{pad + ((p.X - minX) / (maxX - minX) * (width - (2 * pad))):F1},{height - pad + 10 - (p.Y / maxY * (height - pad - 10)):F1}")));
            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{path}\"><title>{name}</title></polyline>");
        }

        return svg.Append("</svg>").ToString();
    }
}
