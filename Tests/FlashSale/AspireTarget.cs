using System.Collections.Concurrent;
using System.Diagnostics;
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
            ProviderAdminKey = await Parameter("payment-provider-admin-key"),
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
    /// <summary>How long a stopped resource may take to be seen stopped, and a started one to be healthy.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    private readonly DistributedApplication _app;

    public AspireResources(DistributedApplication app) => _app = app;

    public async Task<string> KillAndRestartReplicaAsync(string resource, CancellationToken cancellationToken)
    {
        var replica = (await RunningReplicasAsync(resource, cancellationToken)).FirstOrDefault()
            ?? throw new InvalidOperationException($"No running replica of '{resource}'.");
        Kill(replica);
        await StartAgainAsync(replica, cancellationToken);
        return replica.Id;
    }

    public async Task<string> RestartAsync(string resource, TimeSpan down, CancellationToken cancellationToken)
    {
        var instance = (await RunningReplicasAsync(resource, cancellationToken)).FirstOrDefault()
            ?? throw new InvalidOperationException($"'{resource}' is not running.");
        if (resource == "postgres")
        {
            // SIGINT is PostgreSQL's fast shutdown: sessions are ended, the server stops cleanly.
            // (DCP's stop sends SIGTERM, a smart shutdown, which waits for every pooled connection.)
            if (!ProcessSignals.Send(instance.Pid, ProcessSignals.Interrupt))
            {
                throw new InvalidOperationException($"PostgreSQL (process {instance.Pid}) was gone before it could be stopped.");
            }
        }
        else
        {
            var stopped = await ResourceInstances.RunCommandAsync(instance.Id, KnownResourceCommands.StopCommand,
                token => _app.ResourceCommands.ExecuteCommandAsync(instance.Id, KnownResourceCommands.StopCommand, token), Patience, cancellationToken);
            if (!stopped.Success)
            {
                throw new InvalidOperationException($"Could not stop '{instance.Id}': {stopped.Message}");
            }
        }

        await StartAgainAsync(instance.Id, down, cancellationToken);
        return instance.Id;
    }

    public async Task<IReadOnlyList<Replica>> RunningReplicasAsync(string resource, CancellationToken cancellationToken) =>
        [.. (await InstancesAsync(resource, cancellationToken)).Where(IsRunning).Select(instance => new Replica(instance.ResourceId, Pid(instance)))];

    public void Kill(Replica replica)
    {
        try
        {
            using var process = Process.GetProcessById(replica.Pid);
            process.Kill(entireProcessTree: true);
        }
        catch (ArgumentException)
        {
            // Already gone: DCP will see it stopped all the same.
        }
    }

    public Task StartAgainAsync(Replica replica, CancellationToken cancellationToken) => StartAgainAsync(replica.Id, TimeSpan.Zero, cancellationToken);

    /// <summary>Once DCP has seen the instance stop: <paramref name="down"/> later, its Start command, then until it is healthy, through the proxy and on its own port.</summary>
    private async Task StartAgainAsync(string instanceId, TimeSpan down, CancellationToken cancellationToken)
    {
        await WaitForAsync(instanceId, state => !IsRunning(state), "seen stopped", cancellationToken);

        if (down > TimeSpan.Zero)
        {
            await Task.Delay(down, cancellationToken);
        }

        var started = await ResourceInstances.RunCommandAsync(instanceId, KnownResourceCommands.StartCommand,
            token => _app.ResourceCommands.ExecuteCommandAsync(instanceId, KnownResourceCommands.StartCommand, token), Patience, cancellationToken);
        if (!started.Success)
        {
            throw new InvalidOperationException($"Could not start '{instanceId}' again: {started.Message}");
        }

        // Healthy, not merely "not unhealthy yet": a snapshot taken before the first check has no status.
        var running = await WaitForAsync(instanceId, state => IsRunning(state) && state.Snapshot.HealthStatus == HealthStatus.Healthy, "running and healthy", cancellationToken);
        await WaitUntilOwnHealthyAsync(running, cancellationToken);
    }

    /// <summary>
    /// Until a service replica answers its own <c>/health</c> (<see cref="Readiness.OwnHealthFailureAsync"/>),
    /// for at most <see cref="Patience"/>. A replicated project's health as the orchestrator reports
    /// it goes through its proxy, which a running sibling answers: a killed replica counted as
    /// healthy in a few seconds while it was still starting (a payments replica, in a faulted sale,
    /// listened 67 s after its start). An instance that stops before it answers fails at once.
    /// </summary>
    private async Task WaitUntilOwnHealthyAsync(ResourceEvent running, CancellationToken cancellationToken)
    {
        if (!Boxoffice.AppHost.ReplicaPorts.HasOwnHealth(running.Resource))
        {
            return;
        }

        var waited = Stopwatch.StartNew();
        var instance = running;
        while (await Readiness.OwnHealthFailureAsync(instance, cancellationToken) is { } why)
        {
            if (waited.Elapsed > Patience)
            {
                throw new TimeoutException($"'{instance.ResourceId}' was healthy through the proxy but its own /health did not answer with a success within {Patience.TotalSeconds:F0} s (last: {why}): {InstanceDiagnosis.Describe(instance)}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);

            // The watch replays the instance's latest state first.
            instance = await WaitForAsync(instance.ResourceId, _ => true, "seen", cancellationToken);
            if (!IsRunning(instance))
            {
                throw new InvalidOperationException($"'{instance.ResourceId}' stopped after it turned healthy, before its own /health answered: {InstanceDiagnosis.Describe(instance)}");
            }
        }
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

    /// <summary>
    /// Until the instance is as <paramref name="condition"/> asks, for at most <see cref="Patience"/>:
    /// past it, fails with what the instance looks like (<see cref="InstanceDiagnosis"/>).
    /// </summary>
    private async Task<ResourceEvent> WaitForAsync(string instanceId, Func<ResourceEvent, bool> condition, string what, CancellationToken cancellationToken)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        patience.CancelAfter(Patience);
        ResourceEvent? last = null;
        try
        {
            await foreach (var change in _app.ResourceNotifications.WatchAsync(patience.Token))
            {
                if (change.ResourceId != instanceId)
                {
                    continue;
                }

                last = change;
                if (condition(change))
                {
                    return change;
                }
            }

            throw new InvalidOperationException($"The orchestrator stopped reporting on '{instanceId}' before it was {what}.");
        }
        catch (OperationCanceledException) when (patience.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"'{instanceId}' was not {what} within {Patience.TotalSeconds:F0} s: "
                + (last is null ? "no state seen." : InstanceDiagnosis.Describe(last)));
        }
    }

    private static bool IsRunning(ResourceEvent instance) => ResourceInstances.IsRunning(instance);

    private static int Pid(ResourceEvent instance) =>
        ResourceInstances.Pid(instance) ?? throw new InvalidOperationException($"The orchestrator shows no process for '{instance.ResourceId}'.");
}
