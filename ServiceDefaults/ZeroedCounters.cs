using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Hosting;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Every Boxoffice counter is on the scrape from the service's start, at 0, not from its first
/// increment. Prometheus' <c>increase()</c> and <c>rate()</c> cannot see a series' first value, so a
/// counter born at 1 (the first dead letter, the first refund by the sweep) would never fire the
/// alert written on it; and dashboards show 0 rather than "no data". The instruments are static
/// fields, created when their class is first used: the classes of the service's own assemblies
/// that hold a Meter are initialized at start, and each counter gets one 0 without tags as it is
/// published. Counters whose alerts group by a tag add their 0 with those tags where they are known
/// (a consumer's topic, for one).
/// </summary>
internal sealed class ZeroedCounters : IHostedService, IDisposable
{
    private const string Prefix = "Boxoffice.";

    private readonly MeterListener _listener = new();

    // In a trimmed native build, reflection sees only the types and fields the build kept: the
    // metrics classes a service uses, with their Meter fields. A class it never uses records
    // nothing, so missing it costs nothing; a class whose fields were not kept has its counters
    // zeroed when it is first used (InstrumentPublished), not at start.
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Only the metrics classes the build kept need their counters at 0.")]
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "A Meter field the build removed belongs to no counter that can record.")]
    [UnconditionalSuppressMessage("Trimming", "IL2059", Justification = "The class constructors run are those of types the build kept.")]
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listener.InstrumentPublished = (instrument, _) =>
        {
            if (instrument.Meter.Name.StartsWith(Prefix, StringComparison.Ordinal) && instrument is Counter<long> counter)
            {
                counter.Add(0);
            }
        };
        _listener.Start();
        foreach (var type in AppDomain.CurrentDomain.GetAssemblies()
            .Where(assembly => assembly.GetName().Name?.StartsWith(Prefix, StringComparison.Ordinal) == true)
            .SelectMany(Types)
            .Where(type => !type.ContainsGenericParameters && type.GetFields(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public).Any(field => field.FieldType == typeof(Meter))))
        {
            RuntimeHelpers.RunClassConstructor(type.TypeHandle);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _listener.Dispose();

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Only the metrics classes the build kept need their counters at 0.")]
    private static IEnumerable<Type> Types(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException partial)
        {
            return partial.Types.OfType<Type>();
        }
    }
}

/// <summary>Counters on the scrape at 0 for each value of a tag an alert or a dashboard groups by.</summary>
public static class CounterStart
{
    /// <summary>Adds 0 with <paramref name="tag"/> set to each of <paramref name="values"/>; returns the counter.</summary>
    public static Counter<long> StartingAtZero(this Counter<long> counter, string tag, params string[] values)
    {
        foreach (var value in values)
        {
            counter.Add(0, new KeyValuePair<string, object?>(tag, value));
        }

        return counter;
    }
}
