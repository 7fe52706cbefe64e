using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Boxoffice.Gateway.Security;

/// <summary>Section <c>Gateway:Limits</c>: what one request may be, and how slow a client may send it.</summary>
internal sealed class RequestLimitSettings
{
    /// <summary>Body size for routes that do not set <c>MaxRequestBodySize</c>.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    public int MaxRequestHeaderCount { get; set; } = 64;

    public int MaxRequestHeadersTotalBytes { get; set; } = 32 * 1024;

    public int MaxRequestLineBytes { get; set; } = 8 * 1024;

    /// <summary>A client must send its headers within this time.</summary>
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A body must arrive at least this fast (after a 5 s grace), or the connection is closed.</summary>
    public double MinRequestBodyBytesPerSecond { get; set; } = 1024;

    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromMinutes(2);
}

internal static class RequestLimits
{
    /// <summary>
    /// A body declared larger than the route allows is refused with 413 before anything is
    /// proxied; a chunked body that grows past it is cut off by Kestrel, and answered 413 too.
    /// </summary>
    public static IApplicationBuilder UseRequestBodyLimits(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var limit = context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config.MaxRequestBodySize
                ?? context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
            if (limit is > 0 && context.Request.ContentLength > limit)
            {
                await TooLarge(limit.Value).ExecuteAsync(context);
                return;
            }

            await next(context);
        });

    public static IResult TooLarge(long limit) => Problems.Of(ProblemTypes.BodyTooLarge,
        title: "The request body is too large.",
        detail: $"This endpoint accepts at most {limit} bytes.");
}

internal static class ProxyPipelineExtensions
{
    /// <summary>A chunked body cut off for size inside the proxy becomes a 413, not YARP's generic 400.</summary>
    public static IReverseProxyApplicationBuilder UseBodyTooLargeAnswer(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.Use(async (context, next) =>
        {
            await next();
            if (context.GetForwarderErrorFeature()?.Exception is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } tooLarge
                && !context.Response.HasStarted)
            {
                context.Response.Clear();
                var limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize ?? 0;
                await RequestLimits.TooLarge(limit).ExecuteAsync(context);
            }
        });
        return proxy;
    }
}
