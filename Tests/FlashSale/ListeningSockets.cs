using System.Globalization;

namespace Boxoffice.FlashSale;

/// <summary>
/// Whether a process listens on a TCP port, the Linux way: its open sockets (<c>/proc/&lt;pid&gt;/fd</c>)
/// against the kernel's tables of listening ones (<c>/proc/net/tcp</c>, <c>tcp6</c>). For a replica
/// behind the orchestrator's proxy, the instance's health says little: the proxy's check is answered
/// by whichever sibling runs, so a replica counts as back once its own service process listens.
/// </summary>
public static class ListeningSockets
{
    /// <summary>True when any of <paramref name="pids"/> holds a listening TCP socket; false on a system without <c>/proc</c>.</summary>
    public static bool AnyListens(IEnumerable<int> pids)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        var listening = ListeningInodes();
        return pids.Any(pid => SocketInodes(pid).Any(listening.Contains));
    }

    /// <summary>The inodes of every listening TCP socket (state 0A), IPv4 and IPv6.</summary>
    private static HashSet<long> ListeningInodes()
    {
        const string listen = "0A";
        var inodes = new HashSet<long>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table))
            {
                continue;
            }

            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 9 && fields[3] == listen && long.TryParse(fields[9], NumberStyles.None, CultureInfo.InvariantCulture, out var inode))
                {
                    inodes.Add(inode);
                }
            }
        }

        return inodes;
    }

    /// <summary>The inodes of a process's sockets (links such as <c>socket:[12345]</c>); none once it has ended.</summary>
    private static IEnumerable<long> SocketInodes(int pid)
    {
        string[] links;
        try
        {
            links = Directory.GetFileSystemEntries($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/fd");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            yield break;
        }

        foreach (var link in links)
        {
            string? target;
            try
            {
                target = new FileInfo(link).LinkTarget;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal)
                && long.TryParse(target.AsSpan(8, target.Length - 9), NumberStyles.None, CultureInfo.InvariantCulture, out var inode))
            {
                yield return inode;
            }
        }
    }
}
