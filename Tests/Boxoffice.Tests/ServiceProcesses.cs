using System.Diagnostics;
using Boxoffice.FlashSale;

namespace Boxoffice.Tests;

/// <summary>
/// The service processes the orchestrator runs for a resource. DCP runs a project as
/// <c>dotnet run</c>, whose child is the service, so the pid the dashboard shows is the launcher's:
/// the service is found below it by its assembly name.
/// </summary>
internal static class ServiceProcesses
{
    /// <summary>Every running replica's service process of <paramref name="resource"/>.</summary>
    public static List<Process> Of(BoxofficeApp boxoffice, string resource, string assemblyName) =>
        [.. boxoffice.Instances.Values
            .Where(instance => instance.Resource.Name == resource && instance.Snapshot.State?.Text == KnownResourceStates.Running)
            .Select(instance => Find(Launcher(instance), assemblyName))];

    /// <summary>
    /// Kills one running replica of <paramref name="resource"/> with SIGKILL (the others keep
    /// running) and waits until the orchestrator sees it stopped; returns the replica's id, for
    /// <see cref="StartAsync"/>.
    /// </summary>
    public static async Task<string> KillOneAsync(BoxofficeApp boxoffice, string resource, string assemblyName, CancellationToken cancellationToken)
    {
        var instance = boxoffice.Instances.Values.First(instance => instance.Resource.Name == resource && instance.Snapshot.State?.Text == KnownResourceStates.Running);
        using (var process = Find(Launcher(instance), assemblyName))
        {
            await KillAsync(process, cancellationToken);
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (boxoffice.Instances[instance.ResourceId].Snapshot.State?.Text == KnownResourceStates.Running)
        {
            Assert.True(DateTime.UtcNow < deadline, $"The orchestrator still shows {instance.ResourceId} running 30 s after it was killed.");
            await Task.Delay(200, cancellationToken);
        }

        return instance.ResourceId;
    }

    /// <summary>Starts the stopped replica <paramref name="instanceId"/> again (<see cref="BoxofficeApp.WaitUntilEverythingHealthyAsync"/> waits for it).</summary>
    public static Task StartAsync(BoxofficeApp boxoffice, string instanceId, CancellationToken cancellationToken) =>
        boxoffice.ExecuteCommandAsync(instanceId, KnownResourceCommands.StartCommand, cancellationToken);

    /// <summary>The longest a SIGKILLed process may take to be gone.</summary>
    public static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    /// <summary>SIGKILL (no shutdown hooks), and until the process is gone (at most <see cref="ExitTimeout"/>).</summary>
    public static async Task KillAsync(Process process, CancellationToken cancellationToken)
    {
        process.Kill();
        try
        {
            await process.WaitForExitAsync(cancellationToken).WaitAsync(ExitTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Process {process.Id} was still there {ExitTimeout.TotalSeconds:F0} s after SIGKILL.");
        }
    }

    /// <summary>The <c>dotnet run</c> launcher the orchestrator started for the instance.</summary>
    public static int Launcher(ResourceEvent instance) =>
        ResourceInstances.Pid(instance) ?? throw new InvalidOperationException($"The orchestrator shows no process for {instance.ResourceId}.");

    /// <summary>Kills every replica of <paramref name="resource"/> with SIGKILL (no shutdown hooks), then starts each again and waits until everything is healthy.</summary>
    public static async Task KillAndStartAsync(BoxofficeApp boxoffice, string resource, string assemblyName, CancellationToken cancellationToken)
    {
        var processes = Of(boxoffice, resource, assemblyName);
        Assert.NotEmpty(processes);
        await Task.WhenAll(processes.Select(process => KillAsync(process, cancellationToken)));
        foreach (var process in processes)
        {
            process.Dispose();
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (boxoffice.Instances.Values.Any(instance => instance.Resource.Name == resource && instance.Snapshot.State?.Text == KnownResourceStates.Running))
        {
            Assert.True(DateTime.UtcNow < deadline, $"The orchestrator still shows {resource} running 30 s after it was killed.");
            await Task.Delay(200, cancellationToken);
        }

        foreach (var instance in boxoffice.Instances.Values.Where(instance => instance.Resource.Name == resource))
        {
            await StartAsync(boxoffice, instance.ResourceId, cancellationToken);
        }

        await boxoffice.WaitUntilEverythingHealthyAsync(cancellationToken, within: TimeSpan.FromSeconds(90));
    }

    /// <summary>The process named <paramref name="assemblyName"/> under <paramref name="launcher"/> (itself, or a descendant).</summary>
    public static Process Find(int launcher, string assemblyName)
    {
        foreach (var pid in ProcessSignals.Tree(launcher))
        {
            try
            {
                if (File.ReadAllText($"/proc/{pid}/cmdline").Split('\0')[0].EndsWith(assemblyName, StringComparison.Ordinal))
                {
                    return Process.GetProcessById(pid);
                }
            }
            catch (IOException)
            {
                // Gone while we looked.
            }
        }

        throw new InvalidOperationException($"No {assemblyName} process under {launcher}.");
    }
}
