using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Boxoffice.FlashSale;

/// <summary>The report: throughput, latency per endpoint, outcomes, faults and the audit; as text, and as an HTML page with charts.</summary>
public static class SaleReportWriter
{
    /// <summary>The 60 s the issue gives a 10,000-buyer sale to sell or release every place.</summary>
    public static readonly TimeSpan SettleTarget = TimeSpan.FromSeconds(60);

    public static void WriteText(SaleReport report, TextWriter output)
    {
        var o = report.Outcomes;
        var requests = report.Stats.Endpoints().Sum(endpoint => endpoint.Count);
        output.WriteLine();
        output.WriteLine($"Flash sale: {report.Options.Buyers:N0} buyers for {report.Sale.Seats:N0} places, event {report.Sale.EventId}, seed {report.Options.Seed}");
        output.WriteLine($"  crowd done at {report.CrowdDone.TotalSeconds:F1} s; {requests:N0} requests, {requests / Math.Max(1, report.CrowdDone.TotalSeconds):F0}/s on average");
        output.WriteLine($"  sold out at {Seconds(report.SoldOut)}; settled (nothing held or pending, every event delivered, audit clean) at {Seconds(report.Settled)}");
        output.WriteLine($"  buyers: {o.Holds:N0} holds ({o.HoldsReleased:N0} released), {o.Orders:N0} orders, {o.Confirmed:N0} confirmed, {o.Cancelled:N0} cancelled, {o.Pending:N0} still pending, {o.UnitsBought:N0} places bought, {o.SoldOutAnswers:N0} sold-out answers, {o.GaveUp:N0} left empty-handed");
        output.WriteLine();
        output.WriteLine($"  {"endpoint",-36} {"count",8} {"p50 ms",8} {"p99 ms",8} {"max ms",8}  statuses");
        foreach (var (name, count, p50, p99, max, statuses) in report.Stats.Endpoints())
        {
            var codes = string.Join(" ", statuses.OrderBy(pair => pair.Key).Select(pair => $"{(pair.Key == 0 ? "none" : pair.Key.ToString(CultureInfo.InvariantCulture))}:{pair.Value}"));
            output.WriteLine($"  {name,-36} {count,8:N0} {p50,8:F1} {p99,8:F1} {max,8:F0}  {codes}");
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
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"settle_seconds: {Seconds(report.Settled, suffix: "")} (target: <= {SettleTarget.TotalSeconds:F0})"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sold_out_seconds: {Seconds(report.SoldOut, suffix: "")} (target: none)"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"requests_per_second: {requests / Math.Max(1, report.CrowdDone.TotalSeconds):F0} (target: none)"));
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
    /// settle and sell-out times in seconds, null for never).
    /// </summary>
    public static string SummaryJson(SaleReport report)
    {
        var statuses = report.Stats.StatusTotals(hostile: false);
        return JsonSerializer.Serialize(new
        {
            seed = report.Options.Seed,
            buyers = report.Options.Buyers,
            seats = report.Sale.Seats,
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
        }, SummaryOptions);
    }

    private static readonly JsonSerializerOptions SummaryOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

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
        html.Append("<h2>Report</h2><pre>").Append(WebUtility.HtmlEncode(text.ToString())).Append("</pre></html>");
        return html.ToString();
    }

    private static string Chart(IReadOnlyList<(string Name, string Colour, IEnumerable<(double X, double Y)> Points)> series)
    {
        const int width = 900, height = 220, pad = 40;
        var all = series.Select(s => (s.Name, s.Colour, Points: s.Points.ToList())).ToList();
        var maxX = Math.Max(1, all.SelectMany(s => s.Points).Select(p => p.X).DefaultIfEmpty(1).Max());
        var maxY = Math.Max(1, all.SelectMany(s => s.Points).Select(p => p.Y).DefaultIfEmpty(1).Max());
        var svg = new StringBuilder().Append(CultureInfo.InvariantCulture, $"<svg width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"14\" font-size=\"11\">{maxY:F0}</text><text x=\"{width - pad}\" y=\"{height - 4}\" font-size=\"11\">{maxX:F0} s</text>");
        foreach (var (name, colour, points) in all)
        {
            var path = string.Join(" ", points.Select(p => string.Create(CultureInfo.InvariantCulture,
                $"{pad + (p.X / maxX * (width - (2 * pad))):F1},{height - pad + 10 - (p.Y / maxY * (height - pad - 10)):F1}")));
            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{path}\"><title>{name}</title></polyline>");
        }

        return svg.Append("</svg>").ToString();
    }
}
