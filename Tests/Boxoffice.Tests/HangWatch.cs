using System.Diagnostics;
using System.Reflection;
using Xunit.v3;

[assembly: Boxoffice.Tests.HangWatch]

namespace Boxoffice.Tests;

/// <summary>
/// Keeps a hang from eating the CI's whole time budget, and names it. The suite runs one test at a
/// time, so one watch covers it:
/// <list type="bullet">
/// <item>a test still running after <see cref="TestLimit"/> is cancelled (its
/// <c>TestContext.Current.CancellationToken</c>, which the suite's waits take, or a deadline of
/// their own), so it fails with its name and the run goes on;</item>
/// <item>a test that ignores the cancellation for <see cref="Grace"/> more, or a stretch of
/// <see cref="IdleLimit"/> with no test running (a fixture's start or disposal, the host not
/// exiting), ends the process with a message that names the last test, instead of a run that
/// never finishes.</item>
/// </list>
/// The bounds are far above any test's honest duration; they catch hangs, not slowness. Before each
/// test, the app is whole again (at most <see cref="BoxofficeApp.HealthyWithin"/>); once it is past
/// recovery (<see cref="BoxofficeApp.Broken"/>), each later test fails at once with the reason, so a
/// broken app costs the run seconds a test rather than every test's timeouts.
/// <para>
/// The tests that failed are named again, each with its first line of failure, as the last lines
/// the process writes (on standard error, when it exits or before the watch ends it; a test that
/// failed before it began, the app not whole, among them): a failed run prints the process's whole
/// output after the failures, the running app's logs included, and a runner that keeps only the
/// tail of a long run would otherwise show those logs and not which tests failed.
/// </para>
/// </summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class HangWatchAttribute : BeforeAfterTestAttribute
{
    public static readonly TimeSpan TestLimit = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(2);
    public static readonly TimeSpan IdleLimit = TimeSpan.FromMinutes(15);

    private static readonly Lock Gate = new();
    private static long _since = Stopwatch.GetTimestamp();
    private static string _test = "(none yet)";
    private static ITestContext? _running;
    private static bool _cancelled;

    /// <summary>
    /// On a thread of its own, not the pool's: a hang that starves the thread pool must not
    /// silence the watch.
    /// </summary>
    private static readonly Thread Watch = StartWatch();

    /// <summary>The tests that failed so far, each with how long it ran and its first line of failure.</summary>
    private static readonly List<string> Failed = [];

    /// <summary>Registered once, with the watch: names <see cref="Failed"/> when the process exits.</summary>
    private static readonly bool FailuresNamedOnExit = NameFailuresOnExit();

    public override void Before(MethodInfo methodUnderTest, IXunitTest test)
    {
        lock (Gate)
        {
            (_since, _test, _running, _cancelled) = (Stopwatch.GetTimestamp(), test.TestDisplayName, TestContext.Current, false);
        }

        GC.KeepAlive(Watch);
        GC.KeepAlive(FailuresNamedOnExit);
        try
        {
            StartWhole(test.TestDisplayName);
        }
        catch (Exception failure)
        {
            // xunit calls After only for the attributes whose Before succeeded: this test ends here,
            // before xunit has a result for it.
            lock (Gate)
            {
                RecordFailure(test.TestDisplayName, failure.Message);
            }

            After(methodUnderTest, test);
            throw;
        }
    }

    /// <summary>
    /// Each test of the running app starts with it whole: one that an earlier test left recovering
    /// is waited for (a test after a restart would otherwise meet it half up); one that does not
    /// recover fails this test with what is not healthy and marks the app broken, and once it is,
    /// each later test fails at once with the reason.
    /// </summary>
    private static void StartWhole(string test)
    {
        if (BoxofficeApp.Current is not { } app)
        {
            return;
        }

        if (app.Broken is { } broken)
        {
            throw new InvalidOperationException($"Not run: the app did not recover after an earlier test. {broken}");
        }

        if (!app.IsWhole)
        {
            // On the pool, away from any synchronization context the runner keeps for tests.
            var cancellationToken = TestContext.Current.CancellationToken;
            Task.Run(() => app.WaitUntilWholeBeforeTestAsync(test, cancellationToken), cancellationToken).GetAwaiter().GetResult();
        }
    }

    public override void After(MethodInfo methodUnderTest, IXunitTest test)
    {
        lock (Gate)
        {
            // Set for a failure of the test's body (not yet for one of its disposal).
            if (TestContext.Current.TestState is { Result: TestResult.Failed } state)
            {
                RecordFailure(test.TestDisplayName, state.ExceptionMessages?.FirstOrDefault());
            }

            (_since, _running) = (Stopwatch.GetTimestamp(), null);
        }
    }

    /// <summary>Adds the running test to <see cref="Failed"/> (under <see cref="Gate"/>).</summary>
    private static void RecordFailure(string test, string? message)
    {
        // One line each, however long the message (an assertion's can hold a whole response).
        const int Longest = 400;
        var line = (string.IsNullOrEmpty(message) ? "(no message)" : message).Split('\n', 2)[0].TrimEnd();
        line = line.Length <= Longest ? line : line[..Longest] + "…";
        var cancelled = _cancelled ? " (cancelled by the watch)" : "";
        Failed.Add($"{test} ({Stopwatch.GetElapsedTime(_since).TotalSeconds:F0} s){cancelled}: {line}");
    }

    /// <summary>
    /// Writes <see cref="Failed"/> on standard error (under <see cref="Gate"/>): the first 20 (a
    /// broken app fails every test after it at once, and the first says why), then how many more.
    /// </summary>
    private static void NameFailures()
    {
        const int FailuresNamed = 20;
        if (Failed.Count == 0)
        {
            return;
        }

        Console.Error.WriteLine($"{Failed.Count} test(s) failed, named again as the last lines of this run:");
        foreach (var line in Failed.Take(FailuresNamed))
        {
            Console.Error.WriteLine("  " + line);
        }

        if (Failed.Count > FailuresNamed)
        {
            Console.Error.WriteLine($"  and {Failed.Count - FailuresNamed} more.");
        }

        Console.Error.Flush();
    }

    private static bool NameFailuresOnExit()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            lock (Gate)
            {
                NameFailures();
            }
        };
        return true;
    }

    /// <summary>Ends the process with <paramref name="message"/>, naming the failures first: <see cref="Environment.FailFast(string)"/> runs no exit handler.</summary>
    private static void FailFast(string message)
    {
        NameFailures();
        Environment.FailFast(message);
    }

    private static Thread StartWatch()
    {
        var thread = new Thread(() =>
        {
            while (true)
            {
                Thread.Sleep(TimeSpan.FromSeconds(10));
                Check();
            }
        })
        {
            IsBackground = true,
            Name = "HangWatch",
        };
        thread.Start();
        return thread;
    }

    private static void Check()
    {
        ITestContext? cancel = null;
        string test;
        TimeSpan elapsed;
        lock (Gate)
        {
            (test, elapsed) = (_test, Stopwatch.GetElapsedTime(_since));
            if (_running is null)
            {
                if (elapsed > IdleLimit)
                {
                    FailFast($"HangWatch: no test has run for {elapsed.TotalMinutes:F1} min since {test} ended (a fixture's start or disposal, or the host not exiting, hangs).");
                }

                return;
            }

            if (elapsed > TestLimit + Grace)
            {
                FailFast($"HangWatch: {test} has run for {elapsed.TotalMinutes:F1} min and did not end when cancelled.");
            }

            if (elapsed > TestLimit && !_cancelled)
            {
                (_cancelled, cancel) = (true, _running);
            }
        }

        if (cancel is not null)
        {
            // Outside the lock: cancelling runs the test's own callbacks here.
            Console.Error.WriteLine($"HangWatch: {test} has run for {elapsed.TotalMinutes:F1} min; cancelling it.");
            try
            {
                cancel.CancelCurrentTest();
            }
            catch (Exception failure)
            {
                Console.Error.WriteLine($"HangWatch: cancelling {test} threw: {failure.Message}");
            }
        }
    }
}
