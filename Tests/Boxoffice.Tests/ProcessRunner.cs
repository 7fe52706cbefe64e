using System.Diagnostics;

namespace Boxoffice.Tests;

internal sealed record ProcessResult(int ExitCode, string Output, string Error);

/// <summary>Runs a program (a .NET program of the repository, a shell script) as a separate process and collects what it prints.</summary>
internal static class ProcessRunner
{
    /// <summary>How long the output may keep coming after the process has exited.</summary>
    private static readonly TimeSpan PipeTimeout = TimeSpan.FromSeconds(30);

    public static Task<ProcessResult> RunDotnetAsync(
        string assembly, IEnumerable<string> arguments, IDictionary<string, string>? environment, TimeSpan timeout, CancellationToken cancellationToken) =>
        RunAsync("dotnet", [assembly, .. arguments], Path.GetDirectoryName(assembly)!, environment, timeout, cancellationToken);

    public static async Task<ProcessResult> RunAsync(
        string program, IEnumerable<string> arguments, string workingDirectory, IDictionary<string, string>? environment, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{string.Join(' ', start.ArgumentList.Take(1).Prepend(program))} did not exit within {timeout}: {await error.WaitAsync(PipeTimeout, CancellationToken.None)}");
        }

        // A grandchild that inherited the pipes could keep them open after the process is gone.
        return new ProcessResult(process.ExitCode, await output.WaitAsync(PipeTimeout, cancellationToken), await error.WaitAsync(PipeTimeout, cancellationToken));
    }
}
