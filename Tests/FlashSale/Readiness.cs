using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Boxoffice.FlashSale;

/// <summary>When an AppHost is ready for a crowd: shared by the harness's own AppHost and the test suite's.</summary>
public static class Readiness
{
    /// <summary>
    /// Every resource but parameters has all its replicas running and healthy. A hidden helper
    /// Aspire adds (a project's rebuilder, which runs only when asked) counts as ready.
    /// </summary>
    public static bool EverythingHealthy(DistributedApplicationModel model, IEnumerable<ResourceEvent> instances)
    {
        var known = instances.ToList();
        return model.Resources.Where(resource => resource is not ParameterResource).All(resource =>
        {
            var replicas = known.Where(instance => instance.Resource == resource).ToList();
            return replicas.Any(instance => instance.Snapshot.IsHidden)
                || (replicas.Count >= resource.GetReplicaCount()
                    && replicas.All(instance => ResourceInstances.IsRunning(instance) && instance.Snapshot.HealthStatus == HealthStatus.Healthy));
        });
    }

    /// <summary>The longest one ask of a replica's own <c>/health</c> may take: a starting replica on busy cores answers late, and is asked again.</summary>
    public static readonly TimeSpan AskWithin = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Straight to the replica's loopback port: never through a proxy the environment names
    /// (<c>http_proxy</c>), which cannot reach this machine's loopback, and which a <c>no_proxy</c>
    /// that lists <c>localhost</c> but not 127.0.0.1 would not keep these asks from.
    /// </summary>
    private static readonly HttpClient Asker = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };

    /// <summary>
    /// Why the replica does not answer its own <c>/health</c> with a success now (no port in its
    /// snapshot yet, a connection error such as refused, no answer within <see cref="AskWithin"/>,
    /// or the status it answered with); null when it does, or when it is not a Boxoffice service
    /// (nothing of its own to ask).
    /// </summary>
    public static async Task<string?> OwnHealthFailureAsync(ResourceEvent instance, CancellationToken cancellationToken)
    {
        if (!Boxoffice.AppHost.ReplicaPorts.HasOwnHealth(instance.Resource))
        {
            return null;
        }

        if (Boxoffice.AppHost.ReplicaPorts.OwnHealth(instance.Resource, instance.Snapshot) is not { } health)
        {
            return "no port of its own in the orchestrator's snapshot yet";
        }

        using var ask = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ask.CancelAfter(AskWithin);
        try
        {
            using var answer = await Asker.GetAsync(health, ask.Token);
            if (answer.IsSuccessStatusCode)
            {
                return null;
            }

            // Bytes, not the declared charset: any body is shown, never thrown over.
            var body = System.Text.Encoding.UTF8.GetString(await answer.Content.ReadAsByteArrayAsync(ask.Token));
            return $"{health} answered {(int)answer.StatusCode} {(body.Length > 200 ? body[..200] : body)}".TrimEnd();
        }
        catch (HttpRequestException failure)
        {
            return $"{health}: {failure.Message}";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"{health} did not answer within {AskWithin.TotalSeconds:F0} s";
        }
    }
}

/// <summary>
/// Which running service replicas have answered their own <c>/health</c>
/// (<see cref="Boxoffice.AppHost.ReplicaPorts.OwnHealth"/>), by process. A replicated project's
/// health as the orchestrator reports it goes through its proxy, which a running sibling answers
/// while the replica is still starting; a replica counts as whole once its own process has answered.
/// A process that answered once is not asked again: a new one (a restart) is.
/// </summary>
public sealed class OwnHealthAnswers
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _answeredBy = new(StringComparer.Ordinal);

    /// <summary>The replicas that did not answer when <see cref="WholeAsync"/> last asked, each with why not.</summary>
    private IReadOnlyList<(ResourceEvent Instance, string Why)> _silent = [];

    /// <summary>Every running service replica's process among <paramref name="instances"/> has answered; nothing asked.</summary>
    public bool AllAnswered(IEnumerable<ResourceEvent> instances) => !ToAsk(instances).Any();

    /// <summary>
    /// The app is whole: every resource running and healthy as the orchestrator reports it
    /// (<see cref="Readiness.EverythingHealthy"/>), then every service replica answering its own
    /// <c>/health</c> (those not known to have answered are asked, <see cref="NotAnsweringAsync"/>).
    /// </summary>
    public async Task<bool> WholeAsync(DistributedApplicationModel model, IReadOnlyCollection<ResourceEvent> instances, CancellationToken cancellationToken)
    {
        _silent = [];
        if (!Readiness.EverythingHealthy(model, instances))
        {
            return false;
        }

        _silent = await NotAnsweringAsync(instances, cancellationToken);
        return _silent.Count == 0;
    }

    /// <summary>
    /// What kept the app from being whole when <see cref="WholeAsync"/> last judged it: the instances
    /// not running and healthy, and the replicas that did not answer their own <c>/health</c>, each
    /// with a note saying which, for a wait's failure message.
    /// </summary>
    public IEnumerable<(ResourceEvent Instance, string Note)> NotWhole(IEnumerable<ResourceEvent> instances) =>
        instances.Where(instance => !instance.Snapshot.IsHidden && instance.Resource is not ParameterResource
                && !(ResourceInstances.IsRunning(instance) && instance.Snapshot.HealthStatus == HealthStatus.Healthy))
            .Select(instance => (instance, ""))
            .Concat(_silent.Select(silent => (silent.Instance, $" (through the proxy; its own /health: {silent.Why})")));

    /// <summary>
    /// Asks, all at once, every running service replica whose process has not answered yet, and
    /// gives the ones that did not answer with a success within <see cref="Readiness.AskWithin"/>,
    /// each with why not (<see cref="Readiness.OwnHealthFailureAsync"/>).
    /// </summary>
    public async Task<IReadOnlyList<(ResourceEvent Instance, string Why)>> NotAnsweringAsync(IEnumerable<ResourceEvent> instances, CancellationToken cancellationToken)
    {
        var asked = ToAsk(instances).ToList();
        var failures = await Task.WhenAll(asked.Select(instance => Readiness.OwnHealthFailureAsync(instance, cancellationToken)));
        var silent = new List<(ResourceEvent Instance, string Why)>();
        for (var index = 0; index < asked.Count; index++)
        {
            if (failures[index] is { } why)
            {
                silent.Add((asked[index], why));
            }
            else if (ResourceInstances.Pid(asked[index]) is { } pid)
            {
                _answeredBy[asked[index].ResourceId] = pid;
            }
        }

        return silent;
    }

    private IEnumerable<ResourceEvent> ToAsk(IEnumerable<ResourceEvent> instances) =>
        instances.Where(instance => ResourceInstances.IsRunning(instance) && Boxoffice.AppHost.ReplicaPorts.HasOwnHealth(instance.Resource)
            && !(ResourceInstances.Pid(instance) is { } pid && _answeredBy.TryGetValue(instance.ResourceId, out var answered) && answered == pid));
}

/// <summary>What the orchestrator says of one instance, and its commands bounded in time: shared by the harness and the test suite.</summary>
public static class ResourceInstances
{
    public static bool IsRunning(ResourceEvent instance) => instance.Snapshot.State?.Text == KnownResourceStates.Running;

    /// <summary>The process the orchestrator started for the instance (for a project, the <c>dotnet run</c> launcher); null when it shows none.</summary>
    public static int? Pid(ResourceEvent instance) =>
        instance.Snapshot.Properties.FirstOrDefault(property => property.Name == "executable.pid")?.Value is { } pid
        && int.TryParse(Convert.ToString(pid, System.Globalization.CultureInfo.InvariantCulture), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)
            ? id
            : null;

    /// <summary>
    /// Runs an orchestrator command (<paramref name="command"/>, a <see cref="KnownResourceCommands"/>
    /// name, on <paramref name="target"/>) and gives its result, or fails with a <see cref="TimeoutException"/>
    /// naming it when it does not answer within <paramref name="within"/>: a hung command is not a hung run.
    /// </summary>
    public static async Task<ExecuteCommandResult> RunCommandAsync(
        string target, string command, Func<CancellationToken, Task<ExecuteCommandResult>> execute, TimeSpan within, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(within);
        try
        {
            return await execute(timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The orchestrator's {command} of {target} did not answer within {within.TotalSeconds:F0} s.");
        }
    }
}

/// <summary>
/// What an instance that is not running and healthy looks like from outside, for the message of a
/// wait that gave up: its state, each health check's last answer, and (on Linux) what the threads
/// of its process tree are blocked in, which tells a process that hangs (on a lock, a full pipe, a
/// socket) from one that never started listening.
/// </summary>
public static class InstanceDiagnosis
{
    public static string Describe(ResourceEvent instance)
    {
        var text = new System.Text.StringBuilder();
        text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{instance.ResourceId}: {instance.Snapshot.State?.Text} {instance.Snapshot.HealthStatus}");
        foreach (var report in instance.Snapshot.HealthReports)
        {
            var exception = report.ExceptionText?.Split('\n', 2)[0].Trim();
            text.Append(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"\n  check {report.Name}: {report.Status} {report.Description} {exception}").TrimEnd());
        }

        if (OperatingSystem.IsLinux() && ResourceInstances.IsRunning(instance) && ResourceInstances.Pid(instance) is { } id)
        {
            foreach (var process in ProcessSignals.Tree(id).Take(8).Select(Threads))
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"\n  process {process}");
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// A process's name, and how many of its threads are in which state (<c>R</c> running,
    /// <c>S</c> sleeping, <c>D</c> in uninterruptible wait...) and, sleeping, in which kernel wait
    /// (<c>wchan</c>: a futex, a pipe, epoll...; "?" when the kernel does not name it).
    /// </summary>
    private static string Threads(int pid)
    {
        var directory = $"/proc/{pid}";
        if (SafeRead($"{directory}/comm") is not { } name)
        {
            return $"{pid}: gone";
        }

        var states = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var task in SafeDirectories($"{directory}/task"))
        {
            // stat is "tid (comm) S ...": the state follows the last parenthesis (a name may hold one).
            var stat = SafeRead($"{task}/stat") ?? "";
            var close = stat.LastIndexOf(')');
            var state = close >= 0 && close + 2 < stat.Length ? stat[close + 2].ToString() : "?";
            var wchan = SafeRead($"{task}/wchan");
            var key = state == "S" || state == "D" ? $"{state} in {(wchan is null or "" or "0" ? "?" : wchan)}" : state;
            states[key] = states.GetValueOrDefault(key) + 1;
        }

        return $"{pid} {name}: " + string.Join(", ", states.OrderByDescending(pair => pair.Value).Take(6).Select(pair => $"{pair.Value} {pair.Key}"));
    }

    private static string[] SafeDirectories(string path)
    {
        try
        {
            return Directory.GetDirectories(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static string? SafeRead(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim('\0', ' ', '\n');
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
