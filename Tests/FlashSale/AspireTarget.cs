using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Boxoffice.FlashSale;

/// <summary>A Boxoffice whose AppHost runs in this process (the harness's own, or the test suite's).</summary>
public static class AspireTarget
{
    public static async Task<SaleTarget> CreateAsync(DistributedApplication app, CancellationToken cancellationToken)
    {
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        async Task<string> Parameter(string name) =>
            await model.Resources.OfType<ParameterResource>().Single(p => p.Name == name).GetValueAsync(cancellationToken)
            ?? throw new InvalidOperationException($"Parameter '{name}' has no value.");

        var databases = new Dictionary<string, string>();
        foreach (var name in new[] { "bookingdb", "paymentsdb", "providerdb", "catalogdb" })
        {
            databases[name] = await app.GetConnectionStringAsync(name, cancellationToken) ?? throw new InvalidOperationException($"No connection string for '{name}'.");
        }

        var broker = model.Resources.Any(resource => resource.Name == "kafka-broker") ? app.GetEndpoint("kafka-broker", "http") : null;
        return new SaleTarget
        {
            Gateway = app.GetEndpoint("gateway", "http"),
            BackofficeSecret = await Parameter("backoffice-client-secret"),
            CrowdSecret = await Parameter("crowd-client-secret"),
            Databases = databases,
            Provider = app.GetEndpoint("payment-provider", "http"),
            ProviderApiKey = await Parameter("payment-provider-api-key"),
            BrokerControl = broker,
            Resources = new AspireResources(app),
        };
    }
}

/// <summary>
/// Faults on the AppHost's resources. DCP runs a project as <c>dotnet run</c>, whose child is the
/// service: killing the whole tree is a crash (no shutdown hooks, no flushed buffers); the start
/// command brings the replica back as the dashboard's Start button would.
/// </summary>
internal sealed class AspireResources : IResourceControl
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    private readonly DistributedApplication _app;

    public AspireResources(DistributedApplication app) => _app = app;

    public async Task<string> KillAndRestartReplicaAsync(string resource, CancellationToken cancellationToken)
    {
        var instance = (await InstancesAsync(resource, cancellationToken)).FirstOrDefault(IsRunning)
            ?? throw new InvalidOperationException($"No running replica of '{resource}'.");
        using (var process = Process.GetProcessById(Pid(instance)))
        {
            process.Kill(entireProcessTree: true);
        }

        await StartAgainAsync(instance.ResourceId, cancellationToken);
        return instance.ResourceId;
    }

    public async Task<string> RestartAsync(string resource, CancellationToken cancellationToken)
    {
        var instance = (await InstancesAsync(resource, cancellationToken)).FirstOrDefault(IsRunning)
            ?? throw new InvalidOperationException($"'{resource}' is not running.");
        if (resource == "postgres")
        {
            // SIGINT is PostgreSQL's fast shutdown: sessions are ended, the server stops cleanly.
            // (DCP's stop sends SIGTERM, a smart shutdown, which waits for every pooled connection.)
            if (Kill(Pid(instance), Sigint) != 0)
            {
                throw new InvalidOperationException($"Could not signal PostgreSQL (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        else
        {
            var stopped = await _app.ResourceCommands.ExecuteCommandAsync(instance.ResourceId, KnownResourceCommands.StopCommand, cancellationToken);
            if (!stopped.Success)
            {
                throw new InvalidOperationException($"Could not stop '{instance.ResourceId}': {stopped.Message}");
            }
        }

        await StartAgainAsync(instance.ResourceId, cancellationToken);
        return instance.ResourceId;
    }

    private async Task StartAgainAsync(string instanceId, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Patience);
        await WaitForAsync(instanceId, state => !IsRunning(state), timeout.Token);
        var started = await _app.ResourceCommands.ExecuteCommandAsync(instanceId, KnownResourceCommands.StartCommand, timeout.Token);
        if (!started.Success)
        {
            throw new InvalidOperationException($"Could not start '{instanceId}' again: {started.Message}");
        }

        await WaitForAsync(instanceId, state => IsRunning(state) && state.Snapshot.HealthStatus is null or HealthStatus.Healthy, timeout.Token);
    }

    private async Task<List<ResourceEvent>> InstancesAsync(string resource, CancellationToken cancellationToken)
    {
        var model = _app.Services.GetRequiredService<DistributedApplicationModel>();
        var target = model.Resources.SingleOrDefault(r => r.Name == resource)
            ?? throw new InvalidOperationException($"The AppHost has no resource '{resource}'.");
        var instances = new ConcurrentDictionary<string, ResourceEvent>();
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        done.CancelAfter(TimeSpan.FromMilliseconds(500));
        try
        {
            // The watch replays every instance's current state first.
            await foreach (var change in _app.ResourceNotifications.WatchAsync(done.Token))
            {
                if (change.Resource == target && !change.Snapshot.IsHidden)
                {
                    instances[change.ResourceId] = change;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }

        return [.. instances.Values.OrderBy(instance => instance.ResourceId, StringComparer.Ordinal)];
    }

    private async Task WaitForAsync(string instanceId, Func<ResourceEvent, bool> condition, CancellationToken cancellationToken)
    {
        await foreach (var change in _app.ResourceNotifications.WatchAsync(cancellationToken))
        {
            if (change.ResourceId == instanceId && condition(change))
            {
                return;
            }
        }
    }

    private static bool IsRunning(ResourceEvent instance) => instance.Snapshot.State?.Text == KnownResourceStates.Running;

    private static int Pid(ResourceEvent instance) => Convert.ToInt32(
        instance.Snapshot.Properties.Single(property => property.Name == "executable.pid").Value, System.Globalization.CultureInfo.InvariantCulture);

    private const int Sigint = 2;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
