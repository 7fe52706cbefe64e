using System.Text;

namespace Boxoffice.UnitTests.Architecture;

/// <summary>
/// Which namespaces of an assembly use which, from its types' dependencies
/// (<see cref="TypeDependencies"/>: signatures and method bodies, lambdas and async methods
/// included). A node is the root namespace, or one namespace right under it with everything below it.
/// </summary>
internal sealed class NamespaceGraph
{
    private readonly Dictionary<(string From, string To), IReadOnlyList<string>> _edges = [];

    private NamespaceGraph(IReadOnlyList<string> nodes) => Nodes = nodes;

    public IReadOnlyList<string> Nodes { get; }

    public static NamespaceGraph Of(string assemblyPath, string root)
    {
        var types = TypeDependencies.Of(assemblyPath);
        var graph = new NamespaceGraph([.. types.Select(type => NodeOf(type.Namespace, root)).OfType<string>().Distinct().Order(StringComparer.Ordinal)]);
        var edges = new Dictionary<(string From, string To), SortedSet<string>>();
        foreach (var type in types)
        {
            if (NodeOf(type.Namespace, root) is not { } from)
            {
                continue;
            }

            foreach (var to in type.Uses.Select(used => NodeOf(used.Namespace, root)).OfType<string>().Where(to => to != from).Distinct())
            {
                if (!edges.TryGetValue((from, to), out var users))
                {
                    edges[(from, to)] = users = new SortedSet<string>(StringComparer.Ordinal);
                }

                users.Add(type.FullName);
            }
        }

        foreach (var (edge, users) in edges)
        {
            graph._edges[edge] = [.. users];
        }

        return graph;
    }

    /// <summary>A graph of the given edges, for testing the graph itself.</summary>
    public static NamespaceGraph Of(params (string From, string To)[] edges)
    {
        var graph = new NamespaceGraph([.. edges.SelectMany(edge => new[] { edge.From, edge.To }).Distinct().Order(StringComparer.Ordinal)]);
        foreach (var edge in edges)
        {
            graph._edges[edge] = ["(given)"];
        }

        return graph;
    }

    public bool HasEdge(string from, string to) => _edges.ContainsKey((from, to));

    public void RemoveEdgesFrom(string from, Func<string, bool> to)
    {
        foreach (var edge in _edges.Keys.Where(edge => edge.From == from && to(edge.To)).ToList())
        {
            _edges.Remove(edge);
        }
    }

    /// <summary>
    /// The circles, each a closed path (A → B → A): in every group of namespaces that reach each
    /// other (Tarjan's strongly connected components), the shortest circle through each member.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        var cycles = new List<IReadOnlyList<string>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var group in StronglyConnected().Where(group => group.Count > 1))
        {
            foreach (var member in group.Order(StringComparer.Ordinal))
            {
                var cycle = ShortestCycle(member, group);
                if (seen.Add(Canonical(cycle)))
                {
                    cycles.Add(cycle);
                }
            }
        }

        return cycles;
    }

    public string Explain(IReadOnlyList<IReadOnlyList<string>> cycles)
    {
        var text = new StringBuilder();
        foreach (var cycle in cycles)
        {
            text.AppendLine("Namespaces that depend on each other in a circle: " + string.Join(" → ", cycle));
            for (var i = 0; i + 1 < cycle.Count; i++)
            {
                text.AppendLine($"  {cycle[i]} → {cycle[i + 1]}, used by: {string.Join(", ", _edges[(cycle[i], cycle[i + 1])])}");
            }
        }

        text.AppendLine("Namespace dependencies found:");
        foreach (var ((from, to), users) in _edges.OrderBy(edge => edge.Key.From, StringComparer.Ordinal).ThenBy(edge => edge.Key.To, StringComparer.Ordinal))
        {
            text.AppendLine($"  {from} → {to} ({users.Count} types)");
        }

        return text.ToString();
    }

    private IEnumerable<string> Successors(string node) =>
        _edges.Keys.Where(edge => edge.From == node).Select(edge => edge.To).Order(StringComparer.Ordinal);

    private List<List<string>> StronglyConnected()
    {
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var groups = new List<List<string>>();

        void Visit(string node)
        {
            index[node] = low[node] = index.Count;
            stack.Push(node);
            foreach (var next in Successors(node))
            {
                if (!index.ContainsKey(next))
                {
                    Visit(next);
                    low[node] = Math.Min(low[node], low[next]);
                }
                else if (stack.Contains(next))
                {
                    low[node] = Math.Min(low[node], index[next]);
                }
            }

            if (low[node] == index[node])
            {
                var group = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    group.Add(member);
                }
                while (member != node);
                groups.Add(group);
            }
        }

        foreach (var node in Nodes.Where(node => !index.ContainsKey(node)))
        {
            Visit(node);
        }

        return groups;
    }

    /// <summary>The shortest closed path from <paramref name="start"/> back to itself, within <paramref name="group"/>.</summary>
    private List<string> ShortestCycle(string start, List<string> group)
    {
        var previous = new Dictionary<string, string?> { [start] = null };
        var queue = new Queue<string>([start]);
        while (queue.TryDequeue(out var node))
        {
            foreach (var next in Successors(node).Where(group.Contains))
            {
                if (next == start)
                {
                    var path = new List<string> { start };
                    for (string? step = node; step is not null; step = previous[step])
                    {
                        path.Insert(0, step);
                    }

                    return path;
                }

                if (previous.TryAdd(next, node))
                {
                    queue.Enqueue(next);
                }
            }
        }

        throw new InvalidOperationException("A strongly connected group has no cycle through " + start);
    }

    /// <summary>One name for a circle whichever member it starts from.</summary>
    private static string Canonical(List<string> cycle)
    {
        var members = cycle.Take(cycle.Count - 1).ToList();
        var first = members.IndexOf(members.Min(StringComparer.Ordinal)!);
        return string.Join(" → ", members.Skip(first).Concat(members.Take(first)));
    }

    /// <summary>The node a namespace belongs to: the root itself, or root.X for root.X and anything below it; null outside the root.</summary>
    private static string? NodeOf(string? name, string root)
    {
        if (name == root)
        {
            return root;
        }

        if (name is null || !name.StartsWith(root + ".", StringComparison.Ordinal))
        {
            return null;
        }

        var rest = name[(root.Length + 1)..];
        var dot = rest.IndexOf('.', StringComparison.Ordinal);
        return root + "." + (dot < 0 ? rest : rest[..dot]);
    }
}
