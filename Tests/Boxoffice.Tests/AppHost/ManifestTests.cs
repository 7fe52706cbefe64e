using System.Text.Json;
using System.Text.Json.Nodes;

namespace Boxoffice.Tests.AppHost;

/// <summary>The deployment manifest azd consumes is generated from the AppHost and committed.</summary>
public sealed class ManifestTests
{
    private static readonly string Committed = Path.Combine(Repository.Root, "aspire-manifest.json");

    [Fact]
    public async Task The_committed_manifest_is_what_the_AppHost_generates()
    {
        // Written beside the committed one, so the relative project paths inside are the same.
        var fresh = Path.Combine(Repository.Root, $".aspire-manifest.{Guid.NewGuid():N}.json");
        try
        {
            var result = await ProcessRunner.RunDotnetAsync(
                Repository.Output("AppHost", "AppHost"),
                ["--publisher", "manifest", "--output-path", fresh],
                null,
                TimeSpan.FromMinutes(2),
                TestContext.Current.CancellationToken);

            Assert.True(result.ExitCode == 0, result.Output + result.Error);
            Assert.True(
                JsonNode.DeepEquals(
                    JsonNode.Parse(await File.ReadAllTextAsync(Committed, TestContext.Current.CancellationToken)),
                    JsonNode.Parse(await File.ReadAllTextAsync(fresh, TestContext.Current.CancellationToken))),
                "aspire-manifest.json is stale: regenerate it with 'dotnet run --project AppHost -- --publisher manifest --output-path ../aspire-manifest.json'.");
        }
        finally
        {
            File.Delete(fresh);
        }
    }

    [Fact]
    public async Task The_manifest_holds_only_resource_types_azd_deploys()
    {
        string[] deployable = ["project.v0", "project.v1", "container.v0", "container.v1", "parameter.v0", "value.v0"];
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Committed, TestContext.Current.CancellationToken));

        var types = manifest.RootElement.GetProperty("resources").EnumerateObject()
            .Select(resource => (resource.Name, Type: resource.Value.GetProperty("type").GetString()))
            .ToList();

        Assert.NotEmpty(types);
        Assert.All(types, resource => Assert.Contains(resource.Type, deployable));
        Assert.Contains(types, resource => resource is { Name: "gateway", Type: "project.v0" or "project.v1" });
        Assert.Contains(types, resource => resource is { Name: "kafka", Type: "container.v0" or "container.v1" });
    }

    [Fact]
    public async Task A_deployed_provider_has_no_chaos_api_and_only_it_holds_its_admin_key()
    {
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Committed, TestContext.Current.CancellationToken));
        var resources = manifest.RootElement.GetProperty("resources");

        var provider = resources.GetProperty("payment-provider").GetProperty("env");
        Assert.Equal("{payment-provider-admin-key.value}", provider.GetProperty("PaymentProvider__AdminKey").GetString());
        Assert.NotEqual(provider.GetProperty("PaymentProvider__ApiKey").GetString(), provider.GetProperty("PaymentProvider__AdminKey").GetString());
        Assert.False(provider.TryGetProperty("PaymentProvider__ChaosApiEnabled", out _), "The published provider must not be told to fail on request.");

        var holders = resources.EnumerateObject()
            .Where(resource => resource.Value.TryGetProperty("env", out var env)
                && env.EnumerateObject().Any(variable => variable.Value.ToString().Contains("payment-provider-admin-key", StringComparison.Ordinal)))
            .Select(resource => resource.Name);
        Assert.Equal(["payment-provider"], holders);
    }
}
