using System.Text.Json;

namespace Boxoffice.Tests.Messaging;

/// <summary>Runs the Kafka peer (Tests/KafkaPeer), a separate process, and reads what it consumed.</summary>
internal static class KafkaPeer
{
    public static async Task<IReadOnlyDictionary<string, JsonElement>> ConsumeAsync(string kafka, string topic, int count)
    {
        var peer = await ProcessRunner.RunDotnetAsync(
            Repository.Output(Path.Combine("Tests", "KafkaPeer"), "Boxoffice.Tests.KafkaPeer"),
            [topic, $"tests-{Guid.NewGuid():N}", count.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            new Dictionary<string, string> { ["ConnectionStrings__kafka"] = kafka, ["DOTNET_ENVIRONMENT"] = "Development" },
            TimeSpan.FromMinutes(1),
            TestContext.Current.CancellationToken);

        Assert.True(peer.ExitCode == 0, peer.Error);
        return peer.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .ToDictionary(line => line.GetProperty("key").GetString()!);
    }
}
