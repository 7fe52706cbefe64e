namespace Boxoffice.UnitTests.Architecture;

/// <summary>The cycle finder itself, on graphs whose circles are known.</summary>
public sealed class NamespaceGraphTests
{
    [Fact]
    public void A_graph_whose_arrows_go_one_way_has_no_circle()
    {
        var graph = NamespaceGraph.Of(("Orders", "Holds"), ("Holds", "Inventory"), ("Orders", "Inventory"), ("Orders", "Tickets"));

        Assert.Empty(graph.Cycles());
    }

    [Fact]
    public void Two_namespaces_using_each_other_are_a_circle()
    {
        var graph = NamespaceGraph.Of(("Holds", "Orders"), ("Orders", "Holds"), ("Orders", "Tickets"));

        var cycle = Assert.Single(graph.Cycles());
        Assert.Equal(["Holds", "Orders", "Holds"], cycle);
    }

    [Fact]
    public void A_long_circle_is_found_through_every_member()
    {
        var graph = NamespaceGraph.Of(("Holds", "Inventory"), ("Inventory", "Orders"), ("Orders", "Holds"), ("Tickets", "Holds"));

        var cycle = Assert.Single(graph.Cycles());
        Assert.Equal(4, cycle.Count);
        Assert.Equal(cycle[0], cycle[^1]);
        Assert.Equal(["Holds", "Inventory", "Orders"], cycle.Take(3).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Separate_circles_are_each_reported()
    {
        var graph = NamespaceGraph.Of(("A", "B"), ("B", "A"), ("C", "D"), ("D", "C"), ("B", "C"));

        Assert.Equal(2, graph.Cycles().Count);
    }

    [Fact]
    public void Removing_the_wiring_edges_removes_the_circle_they_made()
    {
        var graph = NamespaceGraph.Of(("Extensions", "Holds"), ("Holds", "Extensions"));

        graph.RemoveEdgesFrom("Extensions", to: _ => true);

        Assert.Empty(graph.Cycles());
    }
}
