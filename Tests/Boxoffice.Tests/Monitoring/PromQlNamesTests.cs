namespace Boxoffice.Tests.Monitoring;

/// <summary>The metric names the dashboard check reads from a query: no functions, keywords, labels, strings or ranges (no app needed).</summary>
public sealed class PromQlNamesTests
{
    [Theory]
    [InlineData("sum by (route) (rate(http_server_request_duration_seconds_count{job=\"gateway\", route=~\"$job\"}[$__rate_interval]))", "http_server_request_duration_seconds_count")]
    [InlineData("histogram_quantile(0.99, sum by (le, operation) (rate(boxoffice_request_duration_seconds_bucket{operation=~\"hold|order\"}[5m]))) > 0.25", "boxoffice_request_duration_seconds_bucket")]
    [InlineData("max by (event) (boxoffice_waiting_room_waiting) unless on (event) sum by (event) (increase(boxoffice_waiting_room_admitted_total[5m])) > 0", "boxoffice_waiting_room_waiting boxoffice_waiting_room_admitted_total")]
    [InlineData("operation:boxoffice_request_errors:ratio_rate1h / 0.001", "operation:boxoffice_request_errors:ratio_rate1h")]
    [InlineData("sum(rate(x_total[1m] offset 5m)) or vector(0)", "x_total")]
    [InlineData("absent(up{job=\"booking\"})", "up")]
    [InlineData("sum without (replica) (a) * on (job) group_left (version) b", "a b")]
    public void Only_metric_names_are_read(string query, string names) =>
        Assert.Equal(names.Split(' '), MonitoringTests.MetricNames(query));
}
