using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Boxoffice.EmbeddedKafka;

/// <summary>
/// Gives the mock broker a stable bootstrap address. librdkafka binds its mock listener to a random
/// port, so this forwards the port the AppHost hands out to the listener, byte for byte, one
/// upstream connection per client connection. Clients use it to bootstrap and for metadata; the
/// broker advertises its listener, so their produce and fetch requests go to it directly.
/// </summary>
internal sealed partial class KafkaForwarder(MockCluster cluster, IOptions<BrokerOptions> options, ILogger<KafkaForwarder> logger)
    : BackgroundService
{
    private volatile bool _listening;

    public bool IsListening => _listening;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var listener = new TcpListener(IPAddress.Parse(settings.Host), settings.KafkaPort);
        listener.Start(backlog: 512);
        _listening = true;
        LogListening(settings.Host, settings.KafkaPort, cluster.ListenerAddress);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync(stoppingToken);
                }
                catch (SocketException failure)
                {
                    // Out of file descriptors, say: keep accepting once some are free rather than
                    // let the exception stop the broker's host.
                    LogAcceptFailed(failure.SocketErrorCode);
                    await Task.Delay(TimeSpan.FromMilliseconds(100), stoppingToken);
                    continue;
                }

                _ = ForwardAsync(client, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _listening = false;
            listener.Stop();
        }
    }

    private async Task ForwardAsync(TcpClient client, CancellationToken stoppingToken)
    {
        using var _ = client;
        using var upstream = new TcpClient { NoDelay = true };
        client.NoDelay = true;
        try
        {
            await upstream.ConnectAsync(cluster.ListenerHost, cluster.ListenerPort, stoppingToken);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var downstream = client.GetStream();
            var up = upstream.GetStream();
            // When either side closes, close both, so a broker set down disconnects its clients.
            await Task.WhenAny(downstream.CopyToAsync(up, linked.Token), up.CopyToAsync(downstream, linked.Token));
            await linked.CancelAsync();
        }
        catch (Exception exception) when (exception is SocketException or IOException or OperationCanceledException)
        {
            LogConnectionEnded(exception.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Kafka clients bootstrap through {Host}:{Port}, forwarded to the mock broker at {Listener}, which they then use directly")]
    private partial void LogListening(string host, int port, string listener);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Forwarded connection ended: {Reason}")]
    private partial void LogConnectionEnded(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not accept a Kafka client's connection ({Error}); accepting again")]
    private partial void LogAcceptFailed(SocketError error);
}
