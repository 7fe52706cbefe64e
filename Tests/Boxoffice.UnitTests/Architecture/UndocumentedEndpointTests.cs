using System.Text.RegularExpressions;

namespace Boxoffice.UnitTests.Architecture;

/// <summary>
/// OWASP API9: a service's OpenAPI document lists every endpoint it maps (minimal APIs are
/// described unless told not to be), so the documents are the inventory only if nothing is left
/// out of them without a reason. ApiInventoryTests holds the gateway's routes and the documents to
/// each other; this holds the documents to the code: these are the only endpoints left out.
/// </summary>
public sealed partial class UndocumentedEndpointTests
{
    /// <summary>Left out on purpose, each with its reason.</summary>
    private static readonly Dictionary<string, string> LeftOut = new()
    {
        ["Services/Identity/Connect/ConnectApi.cs: /connect/authorize"] = "OAuth2 protocol endpoint, described by the discovery document",
        ["Services/Identity/Connect/ConnectApi.cs: /connect/token"] = "OAuth2 protocol endpoint, described by the discovery document",
        ["Services/Identity/Connect/ConnectApi.cs: /connect/logout"] = "OpenID Connect end-session endpoint, described by the discovery document",
        ["Services/Identity/Account/AccountApi.cs: /login"] = "the sign-in page (HTML for people), not an API",
        ["Services/WaitingRoom/Queues/QueuesApi.cs: /internal/queues"] = "the gateway's internal endpoints, never routed, behind the internal key",
    };

    [Fact]
    public void Only_the_listed_endpoints_are_left_out_of_the_OpenAPI_documents()
    {
        var found = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Repository.PathOf("Services"), "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") && !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")))
        {
            var relative = Path.GetRelativePath(Repository.Root, file).Replace(Path.DirectorySeparatorChar, '/');
            foreach (var line in File.ReadLines(file).Where(line => line.Contains("ExcludeFromDescription", StringComparison.Ordinal)))
            {
                var route = Route().Match(line);
                found.Add($"{relative}: {(route.Success ? route.Groups[1].Value : line.Trim())}");
            }
        }

        Assert.Equal(LeftOut.Keys.Order(StringComparer.Ordinal), found.Distinct().Order(StringComparer.Ordinal));
    }

    [GeneratedRegex(@"Map(?:Get|Post|Put|Patch|Delete|Methods|Group)\(""([^""]+)""")]
    private static partial Regex Route();
}
