namespace Boxoffice;

/// <summary>A page of items and whether more follow it: what a store reads for <c>PageRequest</c> (no HTTP in it).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, bool More);
