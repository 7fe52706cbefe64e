using System.Reflection;
using Xunit.v3;

[assembly: Boxoffice.Tests.HangWatch]

namespace Boxoffice.Tests;

/// <summary>
/// Keeps a hang from eating the CI's whole time budget, and names it. The suite runs one test at a
/// time, so one watch covers it:
/// <list type="bullet">
/// <item>a test still running after <see cref="TestLimit"/> is cancelled (its
/// <c>TestContext.Current.CancellationToken</c>, which every wait in the suite takes), so it fails
/// with its name and the run goes on;</item>
/// <item>a test that ignores the cancellation for <see cref="Grace"/> more, or a stretch of
/// <see cref="IdleLimit"/> with no test running (a fixture's start or disposal, the host not
/// exiting), ends the process with a message that names the last test, instead of a run that
/// never finishes.</item>
/// </list>
/// The bounds are far above any test's honest duration; they catch hangs, not slowness.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class HangWatchAttribute : BeforeAfterTestAttribute
{
    public static readonly TimeSpan TestLimit = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(2);
    public static readonly TimeSpan IdleLimit = TimeSpan.FromMinutes(15);

    private static readonly Lock Gate = new();
    private static readonly Timer Watch = new(_ => Check(), null, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));
    private static DateTime _since = DateTime.UtcNow;
    private static string _test = "(none yet)";
    private static ITestContext? _running;
    private static bool _cancelled;

    public override void Before(MethodInfo methodUnderTest, IXunitTest test)
    {
        lock (Gate)
        {
            (_since, _test, _running, _cancelled) = (DateTime.UtcNow, test.TestDisplayName, TestContext.Current, false);
        }

        GC.KeepAlive(Watch);
    }

    public override void After(MethodInfo methodUnderTest, IXunitTest test)
    {
        lock (Gate)
        {
            (_since, _running) = (DateTime.UtcNow, null);
        }
    }

    private static void Check()
    {
        lock (Gate)
        {
            var elapsed = DateTime.UtcNow - _since;
            if (_running is null)
            {
                if (elapsed > IdleLimit)
                {
                    Environment.FailFast($"HangWatch: no test has run for {elapsed.TotalMinutes:F1} min since {_test} ended (a fixture's start or disposal, or the host not exiting, hangs).");
                }

                return;
            }

            if (elapsed > TestLimit + Grace)
            {
                Environment.FailFast($"HangWatch: {_test} has run for {elapsed.TotalMinutes:F1} min and did not end when cancelled.");
            }

            if (elapsed > TestLimit && !_cancelled)
            {
                _cancelled = true;
                Console.Error.WriteLine($"HangWatch: {_test} has run for {elapsed.TotalMinutes:F1} min; cancelling it.");
                _running.CancelCurrentTest();
            }
        }
    }
}
