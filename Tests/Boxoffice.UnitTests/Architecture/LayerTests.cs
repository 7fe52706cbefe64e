using System.Reflection;
using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Boxoffice.UnitTests.Architecture;

/// <summary>
/// The layering rule of docs/adr/0009-layers.md: feature folders of every service form no circle;
/// in Booking, what talks to PostgreSQL is below the Api (it uses no ASP.NET Core HTTP type) and
/// never commits (the runner in Services/Postgres does).
/// </summary>
public sealed class LayerTests
{
    [Theory]
    [MemberData(nameof(Services))]
    public void A_services_feature_namespaces_do_not_depend_on_each_other_in_a_circle(string service)
    {
        var root = Projects.AssemblyOf(service);
        var graph = NamespaceGraph.Of(Assembly.Load(new AssemblyName(root)).Location, root);
        // Registration wires every feature; that is not a feature depending on another.
        graph.RemoveEdgesFrom(root + ".Extensions", to: name => name != root);

        var cycles = graph.Cycles();

        Assert.True(cycles.Count == 0, graph.Explain(cycles));
    }

    public static TheoryData<string> Services() => [.. Projects.Services];

    [Fact]
    public void In_booking_what_talks_to_postgresql_uses_no_http_type()
    {
        var offenders = TypeDependencies.Of(BookingPath)
            .Where(type => !type.FullName.EndsWith("Api", StringComparison.Ordinal))
            .Where(type => type.Uses.Any(used => used.Namespace.StartsWith("Npgsql", StringComparison.Ordinal)))
            .Select(type => (type.FullName, Http: type.Uses.Where(IsHttp).Select(used => used.FullName).ToList()))
            .Where(type => type.Http.Count > 0)
            .Select(type => $"{type.FullName} uses {string.Join(", ", type.Http)}")
            .ToList();

        Assert.True(offenders.Count == 0, "Below the Api files, return a domain outcome and let the Api map it:\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void The_http_rule_sees_a_type_that_breaks_it()
    {
        // Guards the rule above against passing because it reads nothing: an Api file is exactly
        // such a type (it uses NpgsqlDataSource and HTTP results), and the rule excuses it by name.
        Assert.Contains(TypeDependencies.Of(BookingPath), type =>
            type.FullName == "Boxoffice.Booking.Holds.HoldsApi"
            && type.Uses.Any(IsHttp)
            && type.Uses.Any(used => used.Namespace.StartsWith("Npgsql", StringComparison.Ordinal)));
    }

    [Fact]
    public void Booking_never_commits_a_transaction_itself()
    {
        var commits = Calls(BookingPath, Transaction, "Commit", "CommitAsync");

        Assert.True(commits.Count == 0, "Only the runner (Transactions.RunAsync) commits; found:\n" + string.Join("\n", commits));
    }

    [Fact]
    public void The_commit_rule_sees_a_commit()
    {
        var postgres = Assembly.Load(new AssemblyName(Projects.AssemblyOf("Postgres"))).Location;

        Assert.Contains(Calls(postgres, Transaction, "Commit", "CommitAsync"), call => call.StartsWith("Boxoffice.Postgres.Transactions", StringComparison.Ordinal));
    }

    /// <summary>A commit is compiled as a call to the virtual it overrides: DbTransaction's, not NpgsqlTransaction's.</summary>
    private static readonly string[] Transaction = ["Npgsql.NpgsqlTransaction", "System.Data.Common.DbTransaction", "System.Data.IDbTransaction"];

    private static string BookingPath => Assembly.Load(new AssemblyName(Projects.AssemblyOf("Booking"))).Location;

    private static bool IsHttp(UsedType used) => used.Namespace.StartsWith("Microsoft.AspNetCore.Http", StringComparison.Ordinal);

    /// <summary>Every method of the assembly (lambdas and state machines included) that calls one of <paramref name="methods"/> of the <paramref name="declaringTypes"/>.</summary>
    private static List<string> Calls(string assemblyPath, string[] declaringTypes, params string[] methods)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        return [.. module.GetTypes()
            .SelectMany(type => type.Methods.Where(method => method.HasBody))
            .Where(method => method.Body.Instructions.Any(instruction =>
                instruction.OpCode.FlowControl == FlowControl.Call
                && instruction.Operand is MethodReference called
                && declaringTypes.Contains(called.DeclaringType.FullName)
                && methods.Contains(called.Name)))
            .Select(method => $"{method.DeclaringType.FullName}::{method.Name}")];
    }
}
