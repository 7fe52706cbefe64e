namespace Boxoffice;

/// <summary>A page of items and whether more follow it: what a store reads for <c>PageRequest</c> (no HTTP in it).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, bool More);

public static class Page
{
    /// <summary>
    /// The page from what a keyset read returned when asked for one item more than
    /// <paramref name="limit"/>: that extra item is read only to tell whether another page follows.
    /// </summary>
    public static Page<T> From<T>(IReadOnlyList<T> read, int limit) =>
        read.Count > limit ? new Page<T>([.. read.Take(limit)], More: true) : new Page<T>(read, More: false);
}
