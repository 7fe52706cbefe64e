using Microsoft.Extensions.DependencyInjection;

namespace Boxoffice.Tests;

/// <summary>Tests that use the running application; it starts once for all of them.</summary>
[CollectionDefinition]
public sealed class RunningApp : ICollectionFixture<BoxofficeApp>;

/// <summary>
/// The whole application, started once for the test run from the real AppHost in embedded mode:
/// Garnet, the machine's PostgreSQL, the mock Kafka broker and every service, each a process of
/// its own. Tests talk to it the way clients and services do: HTTP, Redis, PostgreSQL, Kafka.
/// </summary>
public sealed class BoxofficeApp : IAsyncLifetime
{
    /// <summary>Topics the embedded broker creates for the messaging tests, beside the application's own.</summary>
    public const string TraceTopic = "boxoffice.tests.trace";

    public const string PoisonTopic = "boxoffice.tests.poison";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "boxoffice-tests-" + Guid.NewGuid().ToString("N")[..12]);
    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The application has not started.");

    /// <summary>
    /// Every resource the dashboard shows: not parameters (no state of their own) nor the hidden
    /// helpers Aspire adds (such as a project's rebuilder, which runs only when asked).
    /// </summary>
    public IReadOnlyList<IResource> Resources { get; private set; } = [];

    public async ValueTask InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        IDistributedApplicationTestingBuilder builder;
        try
        {
            builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
                ["--infra", "embedded", $"--Infra:DataPath={_dataPath}"], timeout.Token);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            throw new InvalidOperationException(
                "The AppHost did not start in embedded mode. 'dotnet run --project AppHost -- --infra embedded' prints the reason " +
                "(for example missing PostgreSQL server binaries: apt-get install postgresql).", exception);
        }

        builder.CreateResourceBuilder<ProjectResource>("kafka-broker")
            .WithEnvironment("Broker__ExtraTopics__0", TraceTopic)
            .WithEnvironment("Broker__ExtraTopics__1", PoisonTopic)
            .WithEnvironment("Broker__ExtraTopics__2", Contracts.Topics.DeadLetter(PoisonTopic));

        _app = await builder.BuildAsync(timeout.Token);
        await _app.StartAsync(timeout.Token);

        Resources = [.. _app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Where(resource =>
            resource is not ParameterResource
            && _app.ResourceNotifications.TryGetCurrentState(resource.Name, out var state)
            && !state.Snapshot.IsHidden)];
        await Task.WhenAll(Resources.Select(resource => _app.ResourceNotifications.WaitForResourceHealthyAsync(resource.Name, timeout.Token)));
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        if (Directory.Exists(_dataPath))
        {
            Directory.Delete(_dataPath, recursive: true);
        }
    }

    public HttpClient CreateGatewayClient() => App.CreateHttpClient("gateway", "http");

    public async Task<string> ConnectionStringAsync(string name) =>
        await App.GetConnectionStringAsync(name) ?? throw new InvalidOperationException($"No connection string for '{name}'.");
}
