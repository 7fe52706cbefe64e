using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Boxoffice.Tests.Booking;

namespace Boxoffice.Tests.Monitoring;

/// <summary>
/// What an operator of a sale watches, against the running app: the Prometheus the AppHost starts
/// scrapes every replica and evaluates the rules of deploy/prometheus; the dashboards of
/// deploy/grafana ask it only what it has; an alert fires when the broker goes away; and one buyer's
/// way to a ticket is one trace across the services, with its log lines.
/// </summary>
[Collection<RunningApp>]
public sealed partial class MonitoringTests(BoxofficeApp boxoffice)
{
    /// <summary>Every service the AppHost runs, each scraped on every replica.</summary>
    private static readonly string[] Services = ["gateway", "identity", "catalog", "booking", "waiting-room", "payments", "payment-provider", "storefront"];

    private static readonly TimeSpan ScrapeWait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Prometheus_scrapes_every_replica_of_every_service()
    {
        using var prometheus = new PrometheusApi(boxoffice);
        var replicas = boxoffice.Instances.Values
            .Where(instance => Services.Contains(instance.Resource.Name) && instance.Snapshot.State?.Text == KnownResourceStates.Running)
            .Select(instance => (instance.Resource.Name, instance.ResourceId))
            .ToList();
        Assert.Equal(Services.Length - 4 + BoxofficeApp.GatewayReplicas + BoxofficeApp.CatalogReplicas + BoxofficeApp.BookingReplicas + BoxofficeApp.WaitingRoomReplicas, replicas.Count);

        await PrometheusApi.WaitForAsync(prometheus.TargetsAsync,
            targets => replicas.All(replica => targets.Any(target => (target.Job, target.Replica, target.Health) == (replica.Name, replica.ResourceId, "up"))),
            "every replica scraped and up", ScrapeWait);
        // One series per replica, each scraped on its own port: not the shared proxy's, and not one another's.
        var up = await prometheus.QueryAsync("up");
        foreach (var job in replicas.GroupBy(replica => replica.Name))
        {
            var scraped = up.Where(sample => sample.Labels["job"] == job.Key && sample.Value == 1).ToList();
            Assert.All(job, replica => Assert.Contains(scraped, sample => sample.Labels["replica"] == replica.ResourceId));
            var addresses = scraped.Select(sample => sample.Labels["instance"]).ToList();
            Assert.Equal(addresses.Count, addresses.Distinct().Count());
            var endpointName = job.Key == "gateway" ? "management" : "http";
            var endpoint = boxoffice.App.GetEndpoint(job.Key, endpointName);
            var proxied = boxoffice.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(resource => resource.Name == job.Key)
                .Annotations.OfType<EndpointAnnotation>().Single(annotation => annotation.Name == endpointName).IsProxied;
            if (proxied)
            {
                Assert.DoesNotContain($"127.0.0.1:{endpoint.Port}", addresses);
            }
            else
            {
                // One instance reached without a proxy (the payment provider, payments when it runs one): its endpoint is its own port.
                Assert.Equal([$"127.0.0.1:{endpoint.Port}"], addresses);
            }
        }
    }

    [Fact]
    public async Task A_sale_shows_in_the_business_metrics_and_the_slo_rules_through_prometheus()
    {
        var journey = await BuyerJourney.OfAsync(boxoffice);
        using var prometheus = new PrometheusApi(boxoffice);

        // The event's places as the booking replicas counted them: the journey's two sold, the rest free.
        // (Each replica counts every 5 s: all three agree once both have counted since the sale.)
        await PrometheusApi.WaitForAsync(
            () => prometheus.QueryAsync($"max by (state) (boxoffice_booking_places{{event=\"{journey.EventId}\"}})"),
            samples => (Value(samples, "state", "sold"), Value(samples, "state", "held"), Value(samples, "state", "available")) == (2, 0, 8),
            $"places of event {journey.EventId}: 2 sold, 0 held, 8 available", ScrapeWait);

        // The handling-time histogram has the journey's hold, order, check-in and queue status.
        var operations = await PrometheusApi.WaitForAsync(
            () => prometheus.QueryAsync("sum by (operation) (boxoffice_request_duration_seconds_count{outcome=\"ok\"})"),
            samples => new[] { "hold", "order", "check_in", "queue_status" }.All(operation => Value(samples, "operation", operation) >= 1),
            "successful holds, orders, check-ins and queue statuses counted", ScrapeWait);
        Assert.NotEmpty(operations);

        // The SLO recording rules answer for holds and orders: an error ratio and a slow ratio in [0, 1].
        // A rate needs two scrapes of a series: a few more holds and orders, a scrape apart.
        var sale = await Sale.OpenAsync(boxoffice);
        var holdsBefore = (await prometheus.QueryAsync("sum(boxoffice_booking_holds_total)")).Sum(sample => sample.Value);
        for (var round = 0; round < 3; round++)
        {
            using var buyer = await Buyer.NewAsync(boxoffice);
            await buyer.OrderAsync((await buyer.HoldAsync(sale)).GetProperty("holdId").GetGuid());
            await Task.Delay(TimeSpan.FromSeconds(6), TestContext.Current.CancellationToken);
        }

        foreach (var rule in new[] { "operation:boxoffice_request_errors:ratio_rate5m", "operation:boxoffice_request_slow:ratio_rate5m", "operation:boxoffice_request_errors:ratio_rate1h" })
        {
            var ratios = await PrometheusApi.WaitForAsync(
                () => prometheus.QueryAsync(rule),
                samples => new[] { "hold", "order" }.All(operation => samples.Any(sample => sample.Labels.GetValueOrDefault("operation") == operation && !double.IsNaN(sample.Value))),
                $"{rule} for hold and order", ScrapeWait);
            Assert.All(ratios, ratio => Assert.InRange(ratio.Value, 0, 1));
        }

        // The business counter: the three holds, as the booking replicas counted them.
        await PrometheusApi.WaitForAsync(
            () => prometheus.QueryAsync("sum(boxoffice_booking_holds_total)"),
            samples => samples.Sum(sample => sample.Value) >= holdsBefore + 3,
            $"holds taken to reach {holdsBefore + 3}", ScrapeWait);

        // The end to end: the journey's order placed to its tickets issued.
        var fulfilled = await prometheus.QueryAsync("sum(boxoffice_booking_order_fulfilment_seconds_count)");
        Assert.True(Assert.Single(fulfilled).Value >= 1);
    }

    [Fact]
    public async Task Every_dashboard_panel_parses_and_it_and_every_rule_name_only_metrics_the_running_app_has()
    {
        await BuyerJourney.OfAsync(boxoffice);
        using var prometheus = new PrometheusApi(boxoffice);
        var dashboards = Directory.GetFiles(Path.Combine(Repository.Root, "deploy", "grafana", "dashboards"), "*.json");
        Assert.NotEmpty(dashboards);
        var queries = dashboards.SelectMany(file => PanelQueries(file).Select(query => (Dashboard: Path.GetFileName(file), query.Panel, query.Expr))).ToList();
        Assert.All(dashboards, file => Assert.Contains(queries, query => query.Dashboard == Path.GetFileName(file)));

        var problems = new List<string>();
        foreach (var (dashboard, panel, expr) in queries)
        {
            if (await prometheus.ParseErrorAsync(Substituted(expr)) is { } error)
            {
                problems.Add($"{dashboard} / {panel}: {expr} does not parse: {error}");
            }
        }

        // Names as Prometheus has them from its scrapes of this app and its rules; the histograms
        // and counters the journey moved are there, the rare counters are there at 0 from the start.
        // The rules Prometheus loaded name only such metrics too (their own records aside).
        var rules = await prometheus.RulesAsync();
        var records = rules.Where(rule => rule.Type == "recording").Select(rule => rule.Name).ToHashSet();
        var named = queries.SelectMany(query => MetricNames(query.Expr).Select(name => (query.Dashboard, query.Panel, Name: name)))
            .Concat(rules.SelectMany(rule => MetricNames(rule.Query).Where(name => !records.Contains(name)).Select(name => (Dashboard: "rules", Panel: rule.Name, Name: name))))
            .ToList();
        var deadline = DateTime.UtcNow + ScrapeWait;
        var names = await prometheus.MetricNamesAsync();
        while (!named.All(use => names.Contains(use.Name)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(2000, TestContext.Current.CancellationToken);
            names = await prometheus.MetricNamesAsync();
        }

        problems.AddRange(named.Where(use => !names.Contains(use.Name)).Select(use => $"{use.Dashboard} / {use.Panel}: {use.Name} is not in the running app's metrics").Distinct());
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public async Task One_buyers_way_from_queue_to_ticket_is_one_trace_across_the_services_and_its_log_lines_carry_it()
    {
        var journey = await BuyerJourney.OfAsync(boxoffice);
        var telemetry = boxoffice.Telemetry;

        // Spans arrive in batches, each service's every second (a child's before its parent's); the
        // payment's round trip goes through Kafka twice.
        var spans = await PrometheusApi.WaitForAsync(
            () => Task.FromResult(telemetry.Spans(journey.TraceId)),
            received => Hops(received).All(hop => hop.Found) && Orphans(received, journey).Count == 0,
            "the journey's spans through gateway, booking, Kafka, payments, the provider and back, each with its parent", TimeSpan.FromSeconds(30));
        Assert.All(Hops(spans), hop => Assert.True(hop.Found, hop.What));
        // One tree: every span's parent is a span of the trace, or the test's own (the journey, its requests).
        Assert.Empty(Orphans(spans, journey));
        Assert.Subset(spans.Select(span => span.Service).ToHashSet(), new HashSet<string> { "gateway", "waiting-room", "booking", "payments", "payment-provider" });

        // The services' log lines of the journey carry its trace, and the span they were written in.
        var logs = await PrometheusApi.WaitForAsync(
            () => Task.FromResult(telemetry.Logs(journey.TraceId)),
            received => received.Any(log => log.Service == "booking" && log.Body.Contains(journey.OrderId.ToString(), StringComparison.OrdinalIgnoreCase))
                && received.Any(log => log.Service == "payments")
                && received.All(log => log.SpanId is { } id && telemetry.Spans(journey.TraceId).Any(span => span.SpanId == id)),
            "log lines of booking (naming the order) and payments in the journey's trace, each naming a span of it", TimeSpan.FromSeconds(30));
        var spanIds = telemetry.Spans(journey.TraceId).Select(span => span.SpanId).ToHashSet();
        Assert.All(logs, log => Assert.True(log.SpanId is { } id && spanIds.Contains(id), $"{log.Service} log line '{log.Body}' names span {log.SpanId}, not one of the trace"));
    }

    /// <summary>Spans whose parent is neither a span of the trace nor one of the test's own (its requests, as a browser's).</summary>
    private static List<string> Orphans(IReadOnlyList<ReceivedSpan> spans, BuyerJourney journey)
    {
        var ids = spans.Select(span => span.SpanId).Concat(journey.ClientSpanIds).ToHashSet();
        return [.. spans.Where(span => span.ParentSpanId is not { } parent || !ids.Contains(parent))
            .Select(span => $"{span.Service} span '{span.Name}' (parent {span.ParentSpanId?.ToString() ?? "none"})")];
    }

    [Fact]
    public async Task Stopping_the_broker_sends_the_outbox_lag_alert_pending_then_firing_and_it_clears_after()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var prometheus = new PrometheusApi(boxoffice);
        var sale = await Sale.OpenAsync(boxoffice);
        using var buyer = await Buyer.NewAsync(boxoffice);
        using var control = new HttpClient { BaseAddress = boxoffice.App.GetEndpoint("kafka-broker", "http") };
        var quiet = await prometheus.AlertsAsync();
        Assert.DoesNotContain(quiet, alert => alert.Name == "OutboxLagHigh");

        (await control.PostAsync("/broker/down", null, cancellationToken)).EnsureSuccessStatusCode();
        try
        {
            // A hold writes its HoldPlaced to booking's outbox, which cannot leave now.
            await buyer.HoldAsync(sale);
            var seen = new List<string>();
            await PrometheusApi.WaitForAsync(
                async () =>
                {
                    var alert = (await prometheus.AlertsAsync()).FirstOrDefault(alert => alert.Name == "OutboxLagHigh" && alert.Labels.GetValueOrDefault("job") == "booking");
                    if (alert.State is { } state && (seen.Count == 0 || seen[^1] != state))
                    {
                        seen.Add(state);
                    }

                    return alert.State;
                },
                state => state == "firing",
                "OutboxLagHigh for booking to fire (lag over 30 s, for 30 s)", TimeSpan.FromSeconds(150));
            Assert.Equal(["pending", "firing"], seen);
        }
        finally
        {
            (await control.PostAsync("/broker/up", null, CancellationToken.None)).EnsureSuccessStatusCode();
        }

        // The relay catches up, and the alert stops.
        await PrometheusApi.WaitForAsync(
            async () => (await prometheus.AlertsAsync()).Any(alert => alert.Name == "OutboxLagHigh"),
            active => !active, "OutboxLagHigh to clear once the broker is back", TimeSpan.FromSeconds(90));
    }

    /// <summary>Each hop of the journey that must be in its trace, and whether it is.</summary>
    private static IEnumerable<(string What, bool Found)> Hops(IReadOnlyList<ReceivedSpan> spans)
    {
        bool ChildOf(ReceivedSpan child, string service, ActivityKind kind) =>
            spans.Any(parent => parent.SpanId == child.ParentSpanId && parent.Service == service && parent.Kind == kind);

        yield return ("the gateway's server span of the hold", spans.Any(span => span.Service == "gateway" && span.Kind == ActivityKind.Server && span.Name.StartsWith("POST", StringComparison.Ordinal)));
        yield return ("booking's server span under the gateway's call",
            spans.Any(span => span.Service == "booking" && span.Kind == ActivityKind.Server && ChildOf(span, "gateway", ActivityKind.Client)));
        yield return ("payments consuming the OrderPlaced booking published",
            spans.Any(span => span.Service == "payments" && span.Kind == ActivityKind.Consumer && span.Name.StartsWith("booking.orders", StringComparison.Ordinal) && ChildOf(span, "booking", ActivityKind.Producer)));
        yield return ("the provider's server span under payments' charge call",
            spans.Any(span => span.Service == "payment-provider" && span.Kind == ActivityKind.Server && ChildOf(span, "payments", ActivityKind.Client)));
        yield return ("booking consuming the PaymentSucceeded payments published",
            spans.Any(span => span.Service == "booking" && span.Kind == ActivityKind.Consumer && span.Name.StartsWith("payments", StringComparison.Ordinal) && ChildOf(span, "payments", ActivityKind.Producer)));
        yield return ("booking publishing the TicketsIssued from that payment's handling",
            spans.Any(span => span.Service == "booking" && span.Kind == ActivityKind.Producer && ChildOf(span, "booking", ActivityKind.Consumer)));
    }

    private static double Value(IReadOnlyList<Sample> samples, string label, string value) =>
        samples.FirstOrDefault(sample => sample.Labels.GetValueOrDefault(label) == value)?.Value ?? double.NaN;

    /// <summary>Every panel target's expression, with its panel's title.</summary>
    private static IEnumerable<(string Panel, string Expr)> PanelQueries(string file)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(file));
        foreach (var panel in Panels(document.RootElement.GetProperty("panels")))
        {
            if (panel.TryGetProperty("targets", out var targets))
            {
                foreach (var target in targets.EnumerateArray().Where(target => target.TryGetProperty("expr", out _)))
                {
                    yield return (panel.GetProperty("title").GetString()!, target.GetProperty("expr").GetString()!);
                }
            }
        }

        static IEnumerable<JsonElement> Panels(JsonElement panels) =>
            panels.EnumerateArray().SelectMany(panel => panel.TryGetProperty("panels", out var inner) ? Panels(inner).Prepend(panel) : [panel.Clone()]);
    }

    /// <summary>The expression with the dashboards' variables set as Grafana would for "all": a range of 1m, every job and event.</summary>
    private static string Substituted(string expr) =>
        expr.Replace("$__rate_interval", "1m", StringComparison.Ordinal).Replace("$job", ".*", StringComparison.Ordinal).Replace("$event", ".*", StringComparison.Ordinal);

    /// <summary>
    /// The metric names a PromQL expression reads: identifiers that are not functions (followed by
    /// "("), keywords, label names (inside braces or by/without/on/ignoring/group lists) or strings.
    /// </summary>
    internal static IEnumerable<string> MetricNames(string expr)
    {
        var bare = Strings().Replace(Substituted(expr), "\"\"");
        bare = Braces().Replace(bare, "");
        bare = Grouping().Replace(bare, "");
        bare = Ranges().Replace(bare, "");
        return Identifiers().Matches(bare)
            .Where(match => !Keywords.Contains(match.Value) && !FollowedByParenthesis().IsMatch(bare, match.Index + match.Length))
            .Select(match => match.Value)
            .Distinct();
    }

    private static readonly HashSet<string> Keywords = ["by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan", "Inf", "NaN"];

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Braces();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"(?<![\w:.])[a-zA-Z_:][a-zA-Z0-9_:]*(?![\w:])")]
    private static partial Regex Identifiers();

    [GeneratedRegex(@"\G\s*\(")]
    private static partial Regex FollowedByParenthesis();
}
