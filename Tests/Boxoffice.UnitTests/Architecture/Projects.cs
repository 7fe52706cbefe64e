using System.Reflection;
using System.Xml.Linq;

namespace Boxoffice.UnitTests.Architecture;

/// <summary>
/// Our projects and what each depends on, from both sides: the references the compiler kept in
/// the built assembly (what the code uses), and the <c>ProjectReference</c>s of its project file
/// (what it may use: an unused reference leaves no trace in the assembly, but the next change can
/// start using it).
/// </summary>
internal static class Projects
{
    public const string Ours = "Boxoffice.";

    public static readonly string[] Services = ["Booking", "Catalog", "Gateway", "Identity", "Payments", "PaymentProvider", "WaitingRoom", "Storefront"];

    /// <summary>The project file of each of our assemblies the rules speak of, by project name.</summary>
    private static readonly Dictionary<string, string> Files = new()
    {
        ["Booking"] = "Services/Booking/Booking.csproj",
        ["Catalog"] = "Services/Catalog/Catalog.csproj",
        ["Gateway"] = "Services/Gateway/Gateway.csproj",
        ["Identity"] = "Services/Identity/Identity.csproj",
        ["Payments"] = "Services/Payments/Payments.csproj",
        ["PaymentProvider"] = "Services/PaymentProvider/PaymentProvider.csproj",
        ["WaitingRoom"] = "Services/WaitingRoom/WaitingRoom.csproj",
        ["Storefront"] = "Services/Storefront/Storefront.csproj",
        ["Messaging"] = "Services/Messaging/Messaging.csproj",
        ["Postgres"] = "Services/Postgres/Postgres.csproj",
        ["Contracts"] = "Services/Contracts/Contracts.csproj",
        ["ServiceDefaults"] = "ServiceDefaults/ServiceDefaults.csproj",
    };

    public static string AssemblyOf(string project) => Ours + project;

    /// <summary>Every assembly of ours <paramref name="project"/> depends on, each with where the dependency was seen.</summary>
    public static IReadOnlyList<Dependency> DependenciesOf(string project)
    {
        var assembly = Assembly.Load(new AssemblyName(AssemblyOf(project)));
        var fromAssembly = assembly.GetReferencedAssemblies()
            .Where(reference => reference.Name?.StartsWith(Ours, StringComparison.Ordinal) == true)
            .Select(reference => new Dependency(reference.Name!, $"{assembly.GetName().Name}.dll references assembly {reference.Name}"));

        var projectFile = Repository.PathOf(Files[project]);
        var fromProjectFile = XDocument.Load(projectFile).Descendants("ProjectReference")
            .Select(reference => reference.Attribute("Include")?.Value)
            .OfType<string>()
            .Select(include => new Dependency(
                AssemblyNameOf(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(projectFile)!, include.Replace('\\', Path.DirectorySeparatorChar)))),
                $"{Files[project]} has <ProjectReference Include=\"{include}\" />"));

        return [.. fromAssembly, .. fromProjectFile];
    }

    /// <summary>The assembly a project file builds: its AssemblyName, else the file's name.</summary>
    private static string AssemblyNameOf(string projectFile) =>
        File.Exists(projectFile) && XDocument.Load(projectFile).Descendants("AssemblyName").FirstOrDefault()?.Value is { Length: > 0 } name
            ? name
            : Path.GetFileNameWithoutExtension(projectFile);
}

/// <param name="Assembly">The assembly depended on.</param>
/// <param name="SeenIn">Where: an assembly reference, or a ProjectReference line.</param>
internal sealed record Dependency(string Assembly, string SeenIn);
