using Boxoffice.FlashSale;

namespace Boxoffice.Tests.FlashSale;

/// <summary>
/// The harness's <c>--replicas</c>: a run with one instance of each service refuses the faults that
/// would leave the crowd facing an outage, and a count out of range is a usage error, before any
/// AppHost starts. (No running app needed: the harness is run as a user runs it.)
/// </summary>
public sealed class ReplicasOptionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task One_replica_refuses_the_faults_that_kill_an_instance_the_crowd_calls_and_names_them()
    {
        var result = await HarnessAsync("--replicas", "1", "--faults", "payments,booking,redis,gateway");

        Assert.Equal(2, result.ExitCode);
        var message = result.Error.Split('\n')[0];
        Assert.Contains("--replicas 1", message);
        Assert.Contains("booking, gateway", message);
        // Payments is no service the crowd calls, and Redis no replica: neither is named.
        Assert.DoesNotContain("payments", message);
        Assert.DoesNotContain("redis", message);
        Assert.DoesNotContain("start  the AppHost", result.Error);
    }

    [Fact]
    public void Every_fault_refused_with_one_replica_is_one_the_harness_knows()
    {
        Assert.Subset(FaultSchedule.Known.Keys.ToHashSet(), FaultSchedule.NeedSiblings.ToHashSet());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("5")]
    [InlineData("two")]
    public async Task A_count_outside_one_to_four_is_a_usage_error(string replicas)
    {
        var result = await HarnessAsync("--replicas", replicas, "--faults", "none");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"--replicas must be a whole number from 1 to 4, not '{replicas}'", result.Error);
        Assert.Contains("--replicas N", result.Error);
        Assert.DoesNotContain("start  the AppHost", result.Error);
    }

    [Fact]
    public async Task Replicas_against_a_running_boxoffice_are_a_usage_error()
    {
        var result = await HarnessAsync("--gateway", "http://127.0.0.1:9", "--replicas", "2");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--replicas is for the AppHost the harness starts", result.Error);
    }

    private static Task<ProcessResult> HarnessAsync(params string[] arguments) =>
        ProcessRunner.RunDotnetAsync(Repository.Output(Path.Combine("Tests", "FlashSale"), "Boxoffice.FlashSale"), arguments, null, Timeout, TestContext.Current.CancellationToken);
}
