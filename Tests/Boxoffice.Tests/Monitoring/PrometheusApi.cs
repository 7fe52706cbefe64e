using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Boxoffice.Tests.Monitoring;

/// <summary>One series of an instant query's answer: its labels and value.</summary>
internal sealed record Sample(IReadOnlyDictionary<string, string> Labels, double Value)
{
    public override string ToString() => "{" + string.Join(", ", Labels.Select(label => $"{label.Key}=\"{label.Value}\"")) + "} " + Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The Prometheus the AppHost runs with the app, through its HTTP API (/api/v1).</summary>
internal sealed class PrometheusApi : IDisposable
{
    private readonly HttpClient _http;

    public PrometheusApi(BoxofficeApp boxoffice)
    {
        Assert.True(boxoffice.Resources.Any(resource => resource.Name == "prometheus"),
            "The app runs no Prometheus: the AppHost starts it when the binary is installed (apt-get install prometheus).");
        _http = new HttpClient { BaseAddress = boxoffice.App.GetEndpoint("prometheus", "http") };
    }

    /// <summary>An instant query; a query Prometheus cannot parse fails the test with its error.</summary>
    public async Task<IReadOnlyList<Sample>> QueryAsync(string query)
    {
        var data = await GetAsync("/api/v1/query?query=" + Uri.EscapeDataString(query));
        return data.GetProperty("resultType").GetString() switch
        {
            "vector" => [.. data.GetProperty("result").EnumerateArray().Select(series => new Sample(
                series.GetProperty("metric").EnumerateObject().ToDictionary(label => label.Name, label => label.Value.GetString()!),
                Value(series.GetProperty("value")[1])))],
            "scalar" => [new Sample(new Dictionary<string, string>(), Value(data.GetProperty("result")[1]))],
            var other => throw new Xunit.Sdk.XunitException($"Query {query} answered a {other}."),
        };
    }

    /// <summary>Whether Prometheus parses <paramref name="query"/>, and its error when not.</summary>
    public async Task<string?> ParseErrorAsync(string query)
    {
        using var response = await _http.GetAsync("/api/v1/query?query=" + Uri.EscapeDataString(query), TestContext.Current.CancellationToken);
        if (response.StatusCode == HttpStatusCode.OK)
        {
            return null;
        }

        var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        return $"{answer.GetProperty("errorType").GetString()}: {answer.GetProperty("error").GetString()}";
    }

    /// <summary>Every metric name Prometheus has stored from its scrapes and rules.</summary>
    public async Task<IReadOnlySet<string>> MetricNamesAsync() =>
        (await GetAsync("/api/v1/label/__name__/values")).EnumerateArray().Select(name => name.GetString()!).ToHashSet();

    /// <summary>The active scrape targets: job, replica and health.</summary>
    public async Task<IReadOnlyList<(string Job, string Replica, string Health, string Error)>> TargetsAsync() =>
        [.. (await GetAsync("/api/v1/targets?state=active")).GetProperty("activeTargets").EnumerateArray().Select(target => (
            target.GetProperty("labels").GetProperty("job").GetString()!,
            target.GetProperty("labels").TryGetProperty("replica", out var replica) ? replica.GetString()! : "",
            target.GetProperty("health").GetString()!,
            target.GetProperty("lastError").GetString()!))];

    /// <summary>The rules Prometheus loaded: recording or alerting, name, and the query as it parsed it.</summary>
    public async Task<IReadOnlyList<(string Type, string Name, string Query)>> RulesAsync() =>
        [.. (await GetAsync("/api/v1/rules")).GetProperty("groups").EnumerateArray()
            .SelectMany(group => group.GetProperty("rules").EnumerateArray())
            .Select(rule => (rule.GetProperty("type").GetString()!, rule.GetProperty("name").GetString()!, rule.GetProperty("query").GetString()!))];

    /// <summary>Alerts pending or firing, by name, with their state.</summary>
    public async Task<IReadOnlyList<(string Name, string State, IReadOnlyDictionary<string, string> Labels)>> AlertsAsync() =>
        [.. (await GetAsync("/api/v1/alerts")).GetProperty("alerts").EnumerateArray().Select(alert => (
            alert.GetProperty("labels").GetProperty("alertname").GetString()!,
            alert.GetProperty("state").GetString()!,
            (IReadOnlyDictionary<string, string>)alert.GetProperty("labels").EnumerateObject().ToDictionary(label => label.Name, label => label.Value.GetString()!)))];

    /// <summary>Asks until <paramref name="ask"/> answers true; fails naming <paramref name="what"/> and the last answer.</summary>
    public static async Task<T> WaitForAsync<T>(Func<Task<T>> ask, Func<T, bool> done, string what, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var answer = await ask();
            if (done(answer))
            {
                return answer;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Waited {timeout.TotalSeconds:0} s for {what}; the last answer was {Describe(answer)}.");
            await Task.Delay(1000, TestContext.Current.CancellationToken);
        }
    }

    private static string Describe<T>(T answer) => answer switch
    {
        System.Collections.IEnumerable items and not string => "[" + string.Join(", ", items.Cast<object>()) + "]",
        _ => answer?.ToString() ?? "null",
    };

    private async Task<JsonElement> GetAsync(string path)
    {
        using var response = await _http.GetAsync(path, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"Prometheus answered {(int)response.StatusCode} to {path}: {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("data").Clone();
    }

    private static double Value(JsonElement value) => value.GetString() switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        var number => double.Parse(number!, CultureInfo.InvariantCulture),
    };

    public void Dispose() => _http.Dispose();
}
