using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

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
/// an idempotent method (GET, HEAD, PUT, DELETE, OPTIONS), or one carrying an
/// <c>Idempotency-Key</c> on a route whose service honours the key (it replays the first answer
/// instead of repeating the work): the route's <c>Metadata.IdempotencyKey</c> is <c>honoured</c>
/// (see <see cref="HonouredKeys"/>). A key sent to any other route (registration, check-in, a
/// catalog create) is only a header: the request is sent once. Each further attempt
/// opens a new connection, which the orchestrator's load balancer gives to a live replica; right
/// after a kill it may still pick the dead one, so up to three more attempts are made, 100, 200
/// and 400 ms apart (the CI-sized sale saw 502s when a single replay met the dead replica). A
/// keyed body is buffered first (the routes that take keys cap bodies at 64 KiB); a body of
/// unknown length is never replayed.
/// </summary>
internal sealed class ReplayOnLostConnection(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    public const long MaxReplayedBody = 64 * 1024;

    /// <summary>Set on a request whose route's service honours its <c>Idempotency-Key</c>.</summary>
    public static readonly HttpRequestOptionsKey<bool> KeyHonoured = new("Boxoffice.IdempotencyKeyHonoured");

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
        var keyHonoured = request.Options.TryGetValue(KeyHonoured, out var honoured) && honoured && request.Headers.Contains("Idempotency-Key");
        if (!idempotentMethod && !keyHonoured)
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

/// <summary>
/// Marks the requests of routes whose service honours an <c>Idempotency-Key</c>
/// (<c>"Metadata": { "IdempotencyKey": "honoured" }</c> in the gateway's configuration), so that
/// <see cref="ReplayOnLostConnection"/> may send a keyed POST of theirs again.
/// </summary>
internal sealed class HonouredKeys : ITransformProvider
{
    public const string MetadataKey = "IdempotencyKey";
    public const string Honoured = "honoured";

    public void ValidateRoute(TransformRouteValidationContext context)
    {
        if (context.Route.Metadata?.TryGetValue(MetadataKey, out var value) == true && value != Honoured)
        {
            context.Errors.Add(new ArgumentException($"Route '{context.Route.RouteId}': Metadata.{MetadataKey} is '{Honoured}' or absent, not '{value}'."));
        }
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        if (context.Route.Metadata?.TryGetValue(MetadataKey, out var value) == true && value == Honoured)
        {
            context.AddRequestTransform(transform =>
            {
                transform.ProxyRequest.Options.Set(ReplayOnLostConnection.KeyHonoured, true);
                return ValueTask.CompletedTask;
            });
        }
    }
}
