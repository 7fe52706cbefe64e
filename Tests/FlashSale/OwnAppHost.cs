using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Boxoffice.FlashSale;

/// <summary>
/// The AppHost, started by the harness in embedded mode on a fresh data folder:
/// <see cref="SaleOptions.Replicas"/> of the gateway, identity, catalog, booking, payments and the
/// waiting room (two by default, so a killed replica has a sibling), and the gateway's per-address sign-in and queue-join limits raised for the crowd,
/// which signs in and joins from this one address.
/// </summary>
internal sealed class OwnAppHost : IAsyncDisposable
{
    private readonly string _dataPath;

    private OwnAppHost(DistributedApplication app, string dataPath)
    {
        App = app;
        _dataPath = dataPath;
    }

    public DistributedApplication App { get; }

    public static async Task<OwnAppHost> StartAsync(SaleOptions options, CancellationToken cancellationToken)
    {
        var dataPath = Path.Combine(Path.GetTempPath(), "boxoffice-flashsale-" + Guid.NewGuid().ToString("N")[..12]);
        options.Progress?.WriteLine($"start  the AppHost in embedded mode (data in {dataPath})");
        var instances = options.Replicas ?? 2;
        var replicas = instances.ToString(CultureInfo.InvariantCulture);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--infra", "embedded", "--Demo:Sales=false", $"--Infra:DataPath={dataPath}", $"--Gateway:Replicas={replicas}", $"--Catalog:Replicas={replicas}",
                $"--Booking:Replicas={replicas}", $"--Payments:Replicas={replicas}", $"--WaitingRoom:Replicas={replicas}"], cancellationToken);
        // The harness prints its own progress; the resources' start-up noise (health checks failing
        // until each service is up) would drown it.
        builder.Services.AddLogging(logging =>
        {
            logging.ClearProviders();
            if (options.ServiceLogs)
            {
                // --service-logs: the services' own warnings and errors, for a failed run's post-mortem.
                logging.AddSimpleConsole(console => console.SingleLine = true).SetMinimumLevel(LogLevel.None)
                    .AddFilter("AppHost.Resources", LogLevel.Information).AddFilter("AppHost.Resources.postgres", LogLevel.None);
            }
        });
        var crowd = (options.Buyers + 100).ToString(CultureInfo.InvariantCulture);
        builder.CreateResourceBuilder<ProjectResource>("gateway")
            .WithEnvironment("RateLimiting__SignIn__TokenLimit", crowd)
            .WithEnvironment("RateLimiting__SignIn__TokensPerSecond", crowd)
            .WithEnvironment("RateLimiting__QueueJoin__TokenLimit", crowd)
            .WithEnvironment("RateLimiting__QueueJoin__TokensPerSecond", crowd)
            .WithEnvironment("RateLimiting__Anonymous__TokenLimit", "1000")
            .WithEnvironment("RateLimiting__Anonymous__TokensPerSecond", "500");
        // The AppHost has no setting for identity's replicas: it runs one. Two by default, for the identity fault.
        builder.CreateResourceBuilder<ProjectResource>("identity").WithReplicas(instances);
        // No dashboard runs here (the testing builder leaves it out), so there is no collector: the
        // services would otherwise send every span and log to an endpoint nobody listens on, and
        // retry. They record the share of traces a busy deployment records, and export nothing.
        var sampling = options.TraceSampling.ToString(CultureInfo.InvariantCulture);
        foreach (var project in builder.Resources.OfType<ProjectResource>().ToList())
        {
            builder.CreateResourceBuilder(project)
                .WithEnvironment("OTEL_EXPORTER_OTLP_ENDPOINT", string.Empty)
                .WithEnvironment("Telemetry__TraceSamplingRatio", sampling);
        }
        var app = await builder.BuildAsync(cancellationToken);
        await app.StartAsync(cancellationToken);
        var host = new OwnAppHost(app, dataPath);
        try
        {
            await host.WaitUntilHealthyAsync(cancellationToken);
        }
        catch
        {
            // A start that never became whole stops what it started and leaves no data folder behind.
            await host.DisposeAsync();
            throw;
        }

        options.Progress?.WriteLine("start  every resource healthy");
        return host;
    }

    /// <summary>The longest the app may take to be whole after its start: far above an honest start.</summary>
    private static readonly TimeSpan StartWithin = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Until every replica of every resource runs and reports healthy, each service replica on its
    /// own port too (<see cref="OwnHealthAnswers"/>), for at most <see cref="StartWithin"/>: past
    /// it, fails naming what is not.
    /// </summary>
    private async Task WaitUntilHealthyAsync(CancellationToken cancellationToken)
    {
        var model = App.Services.GetRequiredService<DistributedApplicationModel>();
        var instances = new System.Collections.Concurrent.ConcurrentDictionary<string, ResourceEvent>();
        var answers = new OwnHealthAnswers();
        var deadline = DateTime.UtcNow + StartWithin;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watch = Task.Run(async () =>
        {
            await foreach (var change in App.ResourceNotifications.WatchAsync(stop.Token))
            {
                instances[change.ResourceId] = change;
            }
        }, stop.Token);
        try
        {
            while (true)
            {
                if (watch.IsCompleted)
                {
                    await watch;
                    throw new InvalidOperationException("The orchestrator stopped reporting on the app before it was whole.");
                }

                var now = instances.Values.ToList();
                if (await answers.WholeAsync(model, now, cancellationToken))
                {
                    return;
                }

                if (DateTime.UtcNow >= deadline)
                {
                    var sick = answers.NotWhole(now).Select(entry => InstanceDiagnosis.Describe(entry.Instance) + entry.Note);
                    throw new TimeoutException($"The app was not whole within {StartWithin.TotalMinutes:F0} minutes:\n" + string.Join("\n", sick));
                }

                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
            }
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await watch;
            }
            catch (Exception ended) when (ended is OperationCanceledException || watch.IsFaulted)
            {
                // Cancelled as asked, or already reported in the loop: nothing to add to what is thrown.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        if (Directory.Exists(_dataPath))
        {
            Directory.Delete(_dataPath, recursive: true);
        }
    }
}
