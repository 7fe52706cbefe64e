using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit.Sdk;

namespace Boxoffice.UnitTests.Monitoring;

/// <summary>
/// deploy/prometheus through promtool (Debian's prometheus package): a rule that does not parse, or
/// an alert no test ever made fire, would otherwise first be found in an outage. The alerts' own
/// cases are promtool unit tests (deploy/prometheus/tests); these run them and hold every alert to
/// having one.
/// </summary>
public sealed partial class PromtoolTests
{
    private const string NotInstalled = "promtool is not installed: apt-get install prometheus";

    private static readonly string Folder = Repository.PathOf("deploy/prometheus");

    [Fact]
    public async Task The_Prometheus_configuration_is_valid() =>
        await AssertPromtoolPasses("check", "config", "prometheus.yml");

    [Fact]
    public async Task The_alerting_and_recording_rules_are_valid() =>
        await AssertPromtoolPasses(["check", "rules", .. Files("rules")]);

    [Fact]
    public async Task The_rules_pass_their_unit_tests() =>
        await AssertPromtoolPasses(["test", "rules", .. Files("tests")]);

    [Fact]
    public void Every_alert_has_a_case_that_fires_it_and_one_that_keeps_it_quiet()
    {
        var alerts = Files("rules").SelectMany(file => File.ReadLines(Path.Combine(Folder, file)))
            .Select(line => AlertRule().Match(line)).Where(match => match.Success).Select(match => match.Groups[1].Value).ToList();
        var (firing, quiet) = TestCases();

        // Guards against passing because the scan found nothing.
        Assert.Contains("OutboxLagHigh", alerts);
        var neverFired = alerts.Except(firing).ToList();
        var neverQuiet = alerts.Except(quiet).ToList();
        Assert.True(neverFired.Count == 0, "No test case in deploy/prometheus/tests fires " + string.Join(", ", neverFired));
        Assert.True(neverQuiet.Count == 0, "No test case in deploy/prometheus/tests keeps quiet " + string.Join(", ", neverQuiet));
    }

    [Fact]
    public void Every_alert_says_how_urgent_it_is_and_what_to_do_first()
    {
        // The routing (Azure Monitor action groups or an Alertmanager) reads severity; the person
        // paged reads the runbook line.
        var incomplete = new List<string>();
        foreach (var rule in Files("rules").SelectMany(file => RuleStart().Split(File.ReadAllText(Path.Combine(Folder, file)))))
        {
            var alert = AlertRule().Match(rule);
            if (!alert.Success)
            {
                continue;
            }

            var missing = new[] { "summary", "description", "runbook" }
                .Where(field => !Regex.IsMatch(rule, $@"(?m)^\s*{field}:\s*\S")).ToList();
            if (!Severity().IsMatch(rule))
            {
                missing.Add("severity page|ticket");
            }

            if (missing.Count > 0)
            {
                incomplete.Add($"{alert.Groups[1].Value} lacks {string.Join(", ", missing)}");
            }
        }

        Assert.True(incomplete.Count == 0, string.Join("; ", incomplete));
    }

    /// <summary>The alerts the unit tests expect to fire somewhere, and those they expect quiet somewhere.</summary>
    private static (HashSet<string> Firing, HashSet<string> Quiet) TestCases()
    {
        var firing = new HashSet<string>(StringComparer.Ordinal);
        var quiet = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Files("tests"))
        {
            var lines = File.ReadAllLines(Path.Combine(Folder, file));
            string? alert = null;
            for (var i = 0; i < lines.Length; i++)
            {
                var name = AlertName().Match(lines[i]);
                if (name.Success)
                {
                    alert = name.Groups[1].Value;
                }

                var expected = ExpectedAlerts().Match(lines[i]);
                if (alert is null || !expected.Success)
                {
                    continue;
                }

                if (expected.Groups["none"].Success)
                {
                    quiet.Add(alert);
                }
                else if (i + 1 < lines.Length && lines[i + 1].TrimStart().StartsWith("- exp_", StringComparison.Ordinal))
                {
                    firing.Add(alert);
                }

                alert = null;
            }
        }

        return (firing, quiet);
    }

    /// <summary>The .yml files of a folder of deploy/prometheus, relative to it, in order.</summary>
    private static string[] Files(string folder) =>
        [.. Directory.EnumerateFiles(Path.Combine(Folder, folder), "*.yml")
            .Select(file => Path.GetRelativePath(Folder, file)).Order(StringComparer.Ordinal)];

    private static async Task AssertPromtoolPasses(params string[] arguments)
    {
        var start = new ProcessStartInfo(Executable())
        {
            WorkingDirectory = Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var cancellation = TestContext.Current.CancellationToken;
        using var process = Process.Start(start) ?? throw FailException.ForFailure(NotInstalled);
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(cancellation);
            var error = process.StandardError.ReadToEndAsync(cancellation);
            await process.WaitForExitAsync(cancellation);
            Assert.True(process.ExitCode == 0, $"promtool {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{await output}{await error}");
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }

    /// <summary>promtool on the PATH; its absence fails the test in one sentence rather than a Win32Exception.</summary>
    private static string Executable() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, OperatingSystem.IsWindows() ? "promtool.exe" : "promtool"))
            .FirstOrDefault(File.Exists)
        ?? throw FailException.ForFailure(NotInstalled);

    [GeneratedRegex(@"^[ \t]*-[ \t]*alert:[ \t]*(\w+)[ \t\r]*$", RegexOptions.Multiline)]
    private static partial Regex AlertRule();

    /// <summary>Where a rule of a rules file begins: splits the file into one piece per rule (and what precedes the first).</summary>
    [GeneratedRegex(@"^(?=[ \t]*-[ \t]*(?:alert|record):)", RegexOptions.Multiline)]
    private static partial Regex RuleStart();

    [GeneratedRegex(@"^[ \t]*severity:[ \t]*(?:page|ticket)[ \t\r]*$", RegexOptions.Multiline)]
    private static partial Regex Severity();

    [GeneratedRegex(@"\balertname:\s*(\w+)")]
    private static partial Regex AlertName();

    /// <summary><c>exp_alerts: []</c> (quiet) or <c>exp_alerts:</c> with a list below.</summary>
    [GeneratedRegex(@"\bexp_alerts:\s*(?<none>\[\])?\s*(?:[,}]|$)")]
    private static partial Regex ExpectedAlerts();
}
