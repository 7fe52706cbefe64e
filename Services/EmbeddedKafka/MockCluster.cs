using System.Runtime.InteropServices;
using Boxoffice.Contracts;
using Microsoft.Extensions.Options;

namespace Boxoffice.EmbeddedKafka;

/// <summary>
/// One librdkafka mock cluster with a single broker. The mock broker listens on a random port and
/// keeps everything in memory (about 5 MB per partition, nothing across a restart): a development
/// broker, not a durable one.
/// </summary>
internal sealed class MockCluster : IDisposable
{
    private const int BrokerId = 1;
    private readonly IntPtr _handle;
    private readonly IntPtr _cluster;
    private readonly ILogger<MockCluster> _logger;
    private readonly Lock _gate = new();
    private bool _disposed;

    public MockCluster(IOptions<BrokerOptions> options, ILogger<MockCluster> logger)
    {
        _logger = logger;
        var settings = options.Value;
        var error = new byte[512];

        var conf = LibRdKafka.ConfNew();
        // The handle only hosts the cluster; it never produces. Keep its own logging quiet.
        LibRdKafka.ConfSet(conf, "log_level", "3", error, (nuint)error.Length);
        _handle = LibRdKafka.New(LibRdKafka.ProducerType, conf, error, (nuint)error.Length);
        if (_handle == IntPtr.Zero)
        {
            throw new InvalidOperationException($"librdkafka could not create a handle: {LibRdKafka.Text(error)}");
        }

        _cluster = LibRdKafka.MockClusterNew(_handle, 1);
        if (_cluster == IntPtr.Zero)
        {
            LibRdKafka.Destroy(_handle);
            throw new InvalidOperationException("librdkafka could not create a mock cluster.");
        }

        // Without a controller id admin requests wait 60 s for one.
        LibRdKafka.MockSetControllerId(_cluster, BrokerId);
        ListenerAddress = Marshal.PtrToStringUTF8(LibRdKafka.MockClusterBootstraps(_cluster))!.Split(',')[0];
        // Clients bootstrap through the forwarder's stable port (the address the AppHost hands out)
        // and then talk to the listener itself, which the broker advertises: its own address in
        // full, so no client tries another address family first. Every fetch through the forwarder
        // cost two more socket round trips in this process, three quarters of its CPU at rest.
        var colon = ListenerAddress.LastIndexOf(':');
        (ListenerHost, ListenerPort) = (ListenerAddress[..colon], int.Parse(ListenerAddress[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        LibRdKafka.MockBrokerSetHostPort(_cluster, BrokerId, ListenerHost, ListenerPort);

        // CreateTopics is not supported by the mock broker, so topics are made here.
        foreach (var topic in Topics.All.Concat(settings.ExtraTopics).Distinct())
        {
            var result = LibRdKafka.MockTopicCreate(_cluster, topic, settings.Partitions, 1);
            if (result != 0)
            {
                throw new InvalidOperationException($"Topic '{topic}' could not be created: {LibRdKafka.Describe(result)}");
            }
        }

        _logger.LogInformation(
            "Mock Kafka cluster listening on {Listener}, bootstrapped through {Host}:{Port}, with {TopicCount} topics",
            ListenerAddress, settings.Host, settings.KafkaPort, Topics.All.Count + settings.ExtraTopics.Count);
    }

    /// <summary>The mock broker's own listener (host:port), which the forwarder connects to.</summary>
    public string ListenerAddress { get; }

    /// <summary><see cref="ListenerAddress"/>'s host and port, read once.</summary>
    public string ListenerHost { get; }

    public int ListenerPort { get; }

    public bool IsUp { get; private set; } = true;

    /// <summary>Disconnects every client and refuses new connections until <see cref="SetUp"/>.</summary>
    public void SetDown()
    {
        lock (_gate)
        {
            ThrowIfFailed(LibRdKafka.MockBrokerSetDown(_cluster, BrokerId), "down");
            IsUp = false;
        }

        _logger.LogWarning("Mock Kafka broker set down");
    }

    public void SetUp()
    {
        lock (_gate)
        {
            ThrowIfFailed(LibRdKafka.MockBrokerSetUp(_cluster, BrokerId), "up");
            IsUp = true;
        }

        _logger.LogInformation("Mock Kafka broker set up");
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            LibRdKafka.MockClusterDestroy(_cluster);
            LibRdKafka.Destroy(_handle);
        }
    }

    private static void ThrowIfFailed(int result, string what)
    {
        if (result != 0)
        {
            throw new InvalidOperationException($"Setting the broker {what} failed: {LibRdKafka.Describe(result)}");
        }
    }
}
