using System.Diagnostics;
using System.Reflection;

namespace Boxoffice.UnitTests.Deployment;

/// <summary>
/// infra/ through the real Bicep compiler (the Azure.Bicep.CommandLine package the test project
/// restores): every file builds to an ARM template, and the linter, with infra/bicepconfig.json's
/// rules, finds nothing at all: a warning fails like an error.
/// </summary>
public sealed class BicepTests
{
    private static readonly string Infra = Repository.PathOf("infra");

    public static TheoryData<string> BicepFiles() =>
        [.. Directory.EnumerateFiles(Infra, "*.bicep", SearchOption.AllDirectories).Select(file => Path.GetRelativePath(Infra, file)).Order(StringComparer.Ordinal)];

    [Fact]
    public void The_deployment_s_entry_point_and_its_module_are_there()
    {
        var files = BicepFiles().Select(row => row.Data).ToList();
        Assert.Contains("main.bicep", files);
        Assert.Contains("resources.bicep", files);
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public async Task Each_file_builds_to_an_ARM_template(string file)
    {
        var (exitCode, template, diagnostics) = await BicepAsync("build", file, "--stdout");

        Assert.True(exitCode == 0 && diagnostics.Trim().Length == 0, $"bicep build {file}:\n{diagnostics}");
        Assert.Contains("\"$schema\"", template, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public async Task Each_file_passes_the_linter_with_warnings_as_errors(string file)
    {
        var (exitCode, output, diagnostics) = await BicepAsync("lint", file);

        Assert.True(exitCode == 0 && (output + diagnostics).Trim().Length == 0, $"bicep lint {file}:\n{output}{diagnostics}");
    }

    [Fact]
    public async Task The_linter_reports_what_it_is_meant_to_catch()
    {
        // Guards against a linter that runs no rules: with infra/'s configuration, a secret written
        // into an output and a parameter nobody uses must be reported.
        var folder = Directory.CreateTempSubdirectory("bicep-probe-").FullName;
        try
        {
            File.Copy(Path.Combine(Infra, "bicepconfig.json"), Path.Combine(folder, "bicepconfig.json"));
            await File.WriteAllTextAsync(
                Path.Combine(folder, "probe.bicep"), "@secure()\nparam password string\nparam unused string\noutput leaked string = password\n", TestContext.Current.CancellationToken);

            var (_, output, diagnostics) = await BicepInAsync(folder, "lint", "probe.bicep");

            Assert.Contains("outputs-should-not-contain-secrets", output + diagnostics, StringComparison.Ordinal);
            Assert.Contains("no-unused-params", output + diagnostics, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The compiler, run in infra/ (so bicepconfig.json applies): its exit code, what it wrote (a template) and its diagnostics.</summary>
    private static Task<(int ExitCode, string Output, string Diagnostics)> BicepAsync(params string[] arguments) => BicepInAsync(Infra, arguments);

    private static async Task<(int ExitCode, string Output, string Diagnostics)> BicepInAsync(string folder, params string[] arguments)
    {
        var bicep = typeof(BicepTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(attribute => attribute.Key == "BicepPath").Value!;
        Assert.True(File.Exists(bicep), $"The Bicep compiler is missing at {bicep}: restore the unit tests (Azure.Bicep.CommandLine.linux-x64).");
        var start = new ProcessStartInfo(bicep)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await output, await error);
    }
}
