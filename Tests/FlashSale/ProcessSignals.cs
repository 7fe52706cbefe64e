using System.Globalization;
using System.Runtime.InteropServices;

namespace Boxoffice.FlashSale;

/// <summary>
/// Signals to processes and their trees, the Linux way (<c>kill(2)</c>, <c>/proc</c>). A replica
/// that DCP runs is a <c>dotnet run</c> launcher with the service under it, so a fault that stops
/// or freezes a replica must reach every process of its tree. The test suite finds a replica's
/// service process with <see cref="Tree"/> too.
/// </summary>
public static class ProcessSignals
{
    public const int Interrupt = 2;
    public const int Continue = 18;
    public const int Stop = 19;

    /// <summary>Sends <paramref name="signal"/> to one process; false if it is gone.</summary>
    public static bool Send(int pid, int signal)
    {
        if (Kill(pid, signal) == 0)
        {
            return true;
        }

        const int noSuchProcess = 3;
        var error = Marshal.GetLastPInvokeError();
        if (error == noSuchProcess)
        {
            return false;
        }

        throw new InvalidOperationException($"Could not send signal {signal} to process {pid} (errno {error}).");
    }

    /// <summary>Sends <paramref name="signal"/> to every process of each tree (gone ones are skipped).</summary>
    public static void SendAll(IEnumerable<IReadOnlyList<int>> trees, int signal)
    {
        foreach (var pid in trees.SelectMany(tree => tree))
        {
            Send(pid, signal);
        }
    }

    /// <summary><paramref name="root"/> and every process under it, parents first, read from each process's <c>/proc/PID/stat</c>.</summary>
    public static IReadOnlyList<int> Tree(int root)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new InvalidOperationException("Freezing a replica's processes needs Linux (/proc and POSIX signals).");
        }

        var children = new Dictionary<int, List<int>>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || ParentOf(folder) is not { } parent)
            {
                continue;
            }

            if (!children.TryGetValue(parent, out var list))
            {
                children[parent] = list = [];
            }

            list.Add(pid);
        }

        var tree = new List<int> { root };
        for (var i = 0; i < tree.Count; i++)
        {
            tree.AddRange(children.GetValueOrDefault(tree[i]) ?? []);
        }

        return tree;
    }

    /// <summary>The parent pid: the field after the state, after the command name's closing parenthesis (a name may hold spaces and parentheses).</summary>
    private static int? ParentOf(string processFolder)
    {
        string stat;
        try
        {
            stat = File.ReadAllText(Path.Combine(processFolder, "stat"));
        }
        catch (IOException)
        {
            return null; // it ended while we looked
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        var fields = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 1 && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parent) ? parent : null;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
