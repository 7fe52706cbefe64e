namespace Boxoffice.UnitTests.Architecture;

/// <summary>
/// The arrows between projects (docs/adr/0009-layers.md): services talk through events and HTTP,
/// never through each other's code; the shared libraries know no service; the payment provider is
/// a stand-in for a third party and knows nothing of our events.
/// </summary>
public sealed class ProjectDependencyTests
{
    public static TheoryData<string> Services => [.. Projects.Services];

    [Theory]
    [MemberData(nameof(Services))]
    public void A_service_does_not_reference_another_service(string service)
    {
        AssertNoDependency(service, Projects.Services.Where(other => other != service));
    }

    [Fact]
    public void Contracts_reference_nothing_of_ours()
    {
        var ours = Projects.DependenciesOf("Contracts");

        Assert.True(ours.Count == 0, Explain("Contracts", ours));
    }

    [Theory]
    [InlineData("Messaging")]
    [InlineData("Postgres")]
    public void A_shared_library_references_no_service(string library)
    {
        AssertNoDependency(library, Projects.Services);
    }

    [Fact]
    public void Postgres_does_not_reference_messaging()
    {
        AssertNoDependency("Postgres", ["Messaging"]);
    }

    [Fact]
    public void Service_defaults_reference_neither_messaging_nor_postgres()
    {
        AssertNoDependency("ServiceDefaults", ["Messaging", "Postgres"]);
    }

    [Fact]
    public void The_payment_provider_references_neither_messaging_nor_contracts()
    {
        AssertNoDependency("PaymentProvider", ["Messaging", "Contracts"]);
    }

    [Fact]
    public void The_rules_see_both_what_the_code_uses_and_what_the_project_file_references()
    {
        // Guards the rules above against passing because nothing was read: Booking uses
        // Messaging's outbox and lists Messaging.csproj.
        var messaging = Projects.DependenciesOf("Booking").Where(dependency => dependency.Assembly == "Boxoffice.Messaging").Select(dependency => dependency.SeenIn);

        Assert.Equal(
            ["Boxoffice.Booking.dll references assembly Boxoffice.Messaging", @"Services/Booking/Booking.csproj has <ProjectReference Include=""..\Messaging\Messaging.csproj"" />"],
            messaging);
    }

    private static void AssertNoDependency(string project, IEnumerable<string> forbidden)
    {
        var forbiddenAssemblies = forbidden.Select(Projects.AssemblyOf).ToHashSet(StringComparer.Ordinal);
        var wrong = Projects.DependenciesOf(project).Where(dependency => forbiddenAssemblies.Contains(dependency.Assembly)).ToList();

        Assert.True(wrong.Count == 0, Explain(project, wrong));
    }

    private static string Explain(string project, IEnumerable<Dependency> wrong) =>
        $"{Projects.AssemblyOf(project)} must not depend on {string.Join(", ", wrong.Select(d => d.Assembly).Distinct())}:"
        + string.Concat(wrong.Select(dependency => Environment.NewLine + "  " + dependency.SeenIn));
}
