namespace Boxoffice.Tests.AppHost;

/// <summary>When a mode cannot start, the AppHost stops at once with one sentence that says what to do.</summary>
public sealed class InfraModeTests
{
    private static readonly string AppHost = Repository.Output("AppHost", "AppHost");

    [Theory]
    [InlineData("kubernetes")]
    [InlineData("1")]
    [InlineData("Containers,Embedded")]
    public async Task An_unknown_mode_is_refused_with_the_modes_that_exist(string mode)
    {
        var result = await RunAppHostAsync("--infra", mode);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            $"Unknown infrastructure mode '{mode}': use --infra containers, --infra embedded or --infra external.",
            result.Error.Trim());
    }

    [Fact]
    public async Task Embedded_mode_without_postgres_binaries_says_where_they_must_be()
    {
        var empty = Directory.CreateTempSubdirectory("boxoffice-no-postgres").FullName;
        try
        {
            var result = await RunAppHostAsync("--infra", "embedded", $"--Infra:PostgresBin={empty}");

            Assert.Equal(1, result.ExitCode);
            var message = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            Assert.StartsWith("The embedded mode needs PostgreSQL server binaries (initdb, postgres)", message);
            Assert.Contains(empty, message);
        }
        finally
        {
            Directory.Delete(empty);
        }
    }

    private static Task<ProcessResult> RunAppHostAsync(params string[] arguments) =>
        ProcessRunner.RunDotnetAsync(AppHost, arguments, null, TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken);
}
