using Yarp.ReverseProxy.Forwarder;

namespace Boxoffice.Gateway.Routing;

/// <summary>
/// YARP's clients, each wrapped in <see cref="ReplayOnLostConnection"/>.
/// </summary>
internal sealed class ReplayingForwarderHttpClientFactory(ILogger<ForwarderHttpClientFactory> logger) : ForwarderHttpClientFactory(logger)
{
    protected override HttpMessageHandler WrapHandler(ForwarderHttpClientContext context, HttpMessageHandler handler) =>
        new ReplayOnLostConnection(base.WrapHandler(context, handler));
}

/// <summary>
/// Sends a request once more when the connection to the service broke before an answer came
/// back (a replica killed or restarted under it), but only a request that may be sent twice:
/// an idempotent method (GET, HEAD, PUT, DELETE, OPTIONS) or one carrying an
/// <c>Idempotency-Key</c>, which the service replays instead of repeating. Each further attempt
/// opens a new connection, which the orchestrator's load balancer gives to a live replica; right
/// after a kill it may still pick the dead one, so up to three more attempts are made, 100, 200
/// and 400 ms apart (the CI-sized sale saw 502s when a single replay met the dead replica). A
/// keyed body is buffered first (the routes that take keys cap bodies at 64 KiB); a body of
/// unknown length is never replayed.
/// </summary>
internal sealed class ReplayOnLostConnection(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    public const long MaxReplayedBody = 64 * 1024;

    private const int Replays = 3;
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(100);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!await MakeReplayableAsync(request, cancellationToken))
        {
            return await base.SendAsync(request, cancellationToken);
        }

        for (var replay = 0; ; replay++)
        {
            try
            {
                return await base.SendAsync(request, cancellationToken);
            }
            catch (HttpRequestException) when (replay < Replays && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(FirstPause * (1 << replay), cancellationToken);
            }
        }
    }

    private static async Task<bool> MakeReplayableAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var idempotentMethod = request.Method == HttpMethod.Get || request.Method == HttpMethod.Head || request.Method == HttpMethod.Put
            || request.Method == HttpMethod.Delete || request.Method == HttpMethod.Options;
        if (!idempotentMethod && !request.Headers.Contains("Idempotency-Key"))
        {
            return false;
        }

        if (request.Content is not { } content)
        {
            return true;
        }

        if (content.Headers.ContentLength is not (>= 0 and <= MaxReplayedBody))
        {
            return false;
        }

        var body = new ByteArrayContent(await content.ReadAsByteArrayAsync(cancellationToken));
        foreach (var (name, values) in content.Headers)
        {
            body.Headers.TryAddWithoutValidation(name, values);
        }

        request.Content = body;
        return true;
    }
}
