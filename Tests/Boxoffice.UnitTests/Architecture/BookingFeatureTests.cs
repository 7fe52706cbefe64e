using System.Reflection;

namespace Boxoffice.UnitTests.Architecture;

/// <summary>
/// Booking's feature folders (<c>Boxoffice.Booking.Holds</c>, <c>.Orders</c>, <c>.Tickets</c>, …)
/// never import each other in a circle: what two features share gets its own small home
/// (STYLE.md, rule 13). The root namespace and <c>Extensions</c> are such homes; a feature may use
/// them, but a circle through them counts too, except that <c>Extensions</c> registers every
/// feature (its edges to features are the wiring, not a dependency).
/// </summary>
public sealed class BookingFeatureTests
{
    private const string Root = "Boxoffice.Booking";
    private const string Extensions = Root + ".Extensions";

    [Fact]
    public void Booking_features_do_not_depend_on_each_other_in_a_circle()
    {
        var circles = Circles(Assembly.Load(new AssemblyName(Root)).Location);

        Assert.True(circles is null, circles);
    }

    /// <summary>The circles among the namespaces of the Booking assembly at <paramref name="bookingPath"/>, explained; null when there are none.</summary>
    internal static string? Circles(string bookingPath)
    {
        var graph = NamespaceGraph.Of(bookingPath, Root);
        graph.RemoveEdgesFrom(Extensions, to: name => name != Root);
        var cycles = graph.Cycles();
        return cycles.Count == 0 ? null : graph.Explain(cycles);
    }

    [Fact]
    public void The_feature_graph_sees_what_the_code_uses()
    {
        // Guards the cycle test against passing because it found nothing: Extensions wires the
        // features, and features use the root's shared types (options, problems, keys).
        var graph = NamespaceGraph.Of(Assembly.Load(new AssemblyName(Root)).Location, Root);

        Assert.Contains(Root + ".Holds", graph.Nodes);
        Assert.True(graph.Nodes.Any(node => graph.HasEdge(Extensions, node)), graph.Explain([]));
        Assert.True(graph.Nodes.Any(node => graph.HasEdge(node, Root)), graph.Explain([]));
    }
}
