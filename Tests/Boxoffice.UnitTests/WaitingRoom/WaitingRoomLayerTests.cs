using System.Reflection;
using Boxoffice.UnitTests.Architecture;
using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Boxoffice.UnitTests.WaitingRoom;

/// <summary>
/// The waiting room keeps the layers of docs/adr/0009-layers.md: its features (<c>Queues</c>, the
/// home of both tables, and <c>Joining</c>, <c>Admission</c>, <c>Metering</c>, <c>CatalogEvents</c>
/// on top) form no circle; what talks to PostgreSQL below the Api files uses no ASP.NET Core HTTP
/// type; and only the runner commits.
/// </summary>
public sealed class WaitingRoomLayerTests
{
    private const string Root = "Boxoffice.WaitingRoom";

    private static string AssemblyPath => Assembly.Load(new AssemblyName(Root)).Location;

    [Fact]
    public void The_waiting_rooms_features_do_not_depend_on_each_other_in_a_circle()
    {
        var graph = NamespaceGraph.Of(AssemblyPath, Root);
        graph.RemoveEdgesFrom(Root + ".Extensions", to: name => name != Root);

        var cycles = graph.Cycles();

        Assert.True(cycles.Count == 0, graph.Explain(cycles));
        Assert.True(graph.HasEdge(Root + ".Joining", Root + ".Queues"), graph.Explain([]));
    }

    [Fact]
    public void What_talks_to_postgresql_below_the_api_uses_no_http_type()
    {
        var offenders = TypeDependencies.Of(AssemblyPath)
            .Where(type => !type.FullName.EndsWith("Api", StringComparison.Ordinal))
            .Where(type => type.Uses.Any(used => used.Namespace.StartsWith("Npgsql", StringComparison.Ordinal)))
            .Select(type => (type.FullName, Http: type.Uses.Where(used => used.Namespace.StartsWith("Microsoft.AspNetCore.Http", StringComparison.Ordinal)).Select(used => used.FullName).ToList()))
            .Where(type => type.Http.Count > 0)
            .Select(type => $"{type.FullName} uses {string.Join(", ", type.Http)}")
            .ToList();

        Assert.True(offenders.Count == 0, "Below the Api files, return a domain outcome and let the Api map it:\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void The_waiting_room_never_commits_a_transaction_itself()
    {
        string[] transaction = ["Npgsql.NpgsqlTransaction", "System.Data.Common.DbTransaction", "System.Data.IDbTransaction"];
        using var module = ModuleDefinition.ReadModule(AssemblyPath);

        var commits = module.GetTypes()
            .SelectMany(type => type.Methods.Where(method => method.HasBody))
            .Where(method => method.Body.Instructions.Any(instruction =>
                instruction.OpCode.FlowControl == FlowControl.Call
                && instruction.Operand is MethodReference { Name: "Commit" or "CommitAsync" } called
                && transaction.Contains(called.DeclaringType.FullName)))
            .Select(method => $"{method.DeclaringType.FullName}::{method.Name}")
            .ToList();

        Assert.True(commits.Count == 0, "Only the runner (Transactions.RunAsync) commits; found:\n" + string.Join("\n", commits));
    }
}
