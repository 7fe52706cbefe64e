using System.Text.Json.Nodes;

namespace Boxoffice.Tests.AppHost;

/// <summary>The deployment manifest: the committed one azd consumes, or one the AppHost publishes on demand with other arguments.</summary>
internal static class PublishedManifest
{
    public static string Committed { get; } = Path.Combine(Repository.Root, "aspire-manifest.json");

    /// <summary>The manifest the AppHost publishes with these arguments, written beside the committed one (so relative project paths match).</summary>
    public static async Task<JsonNode> GenerateAsync(params string[] arguments)
    {
        var fresh = Path.Combine(Repository.Root, $".aspire-manifest.{Guid.NewGuid():N}.json");
        try
        {
            var result = await ProcessRunner.RunDotnetAsync(
                Repository.Output("AppHost", "AppHost"),
                ["--publisher", "manifest", "--output-path", fresh, .. arguments],
                null,
                TimeSpan.FromMinutes(2),
                TestContext.Current.CancellationToken);

            Assert.True(result.ExitCode == 0, result.Output + result.Error);
            return JsonNode.Parse(await File.ReadAllTextAsync(fresh, TestContext.Current.CancellationToken))!;
        }
        finally
        {
            File.Delete(fresh);
        }
    }
}
