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
                || (replicas.Count >= (resource.Annotations.OfType<ReplicaAnnotation>().FirstOrDefault()?.Replicas ?? 1)
                    && replicas.All(instance => instance.Snapshot.State?.Text == KnownResourceStates.Running
                        && instance.Snapshot.HealthStatus == HealthStatus.Healthy));
        });
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

        if (instance.Snapshot.Properties.FirstOrDefault(property => property.Name == "executable.pid")?.Value is { } pid
            && int.TryParse(Convert.ToString(pid, System.Globalization.CultureInfo.InvariantCulture), out var id))
        {
            foreach (var process in ProcessTree(id))
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"\n  process {process}");
            }
        }

        return text.ToString();
    }

    /// <summary>Each process of the tree under <paramref name="root"/>: its name, state and how many of its threads wait where.</summary>
    private static IEnumerable<string> ProcessTree(int root)
    {
        var pending = new Queue<int>([root]);
        var seen = 0;
        while (pending.TryDequeue(out var pid) && seen++ < 8)
        {
            var directory = $"/proc/{pid}";
            if (SafeRead($"{directory}/status") is not { } status)
            {
                yield return $"{pid}: gone";
                continue;
            }

            var fields = status.Split('\n').Select(line => line.Split(':', 2)).Where(pair => pair.Length == 2)
                .ToDictionary(pair => pair[0], pair => pair[1].Trim(), StringComparer.Ordinal);
            var waits = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var task in SafeDirectories($"{directory}/task"))
            {
                var wchan = SafeRead($"{task}/wchan");
                var key = wchan is null or "" or "0" ? "running" : wchan;
                waits[key] = waits.GetValueOrDefault(key) + 1;
            }

            var where = string.Join(", ", waits.OrderByDescending(pair => pair.Value).Take(6).Select(pair => $"{pair.Key} {pair.Value}"));
            yield return $"{pid} {fields.GetValueOrDefault("Name")} {fields.GetValueOrDefault("State")} threads: {where}";
            foreach (var task in SafeDirectories($"{directory}/task"))
            {
                foreach (var child in (SafeRead($"{task}/children") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (int.TryParse(child, out var childPid))
                    {
                        pending.Enqueue(childPid);
                    }
                }
            }
        }
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
