using Microsoft.AspNetCore.OutputCaching;
using Boxoffice.Gateway.Security;

namespace Boxoffice.Gateway.Routing;

/// <summary>
/// Output cache policy <c>public-counts</c>, for anonymous reads whose answer is the same for every
/// caller and may be a moment old (booking's availability, itself a count at most 2 s old): a
/// flash crowd refreshing it is answered from the gateway's memory for 1 s, one request per
/// replica and path going to the service. A token, if sent, does not change the answer, so it
/// does not stop caching (the default policy would). Only 200s are kept; each answer still
/// carries its own request id. The routes it serves take no query parameters, so the query
/// string is not part of the key, nor is the Host: a crowd (or a bot) adding <c>?anything</c>
/// or naming any host is answered from the same entry instead of going past the cache to the
/// service every time.
/// </summary>
internal sealed class PublicCountsCachePolicy : IOutputCachePolicy
{
    public const string Name = "public-counts";

    public static readonly TimeSpan Duration = TimeSpan.FromSeconds(1);

    public ValueTask CacheRequestAsync(OutputCacheContext context, CancellationToken cancellationToken)
    {
        // GET only: a HEAD's empty answer must never be served to a GET.
        var cacheable = HttpMethods.IsGet(context.HttpContext.Request.Method);
        context.EnableOutputCaching = true;
        context.AllowCacheLookup = cacheable;
        context.AllowCacheStorage = cacheable;
        context.AllowLocking = true;
        context.ResponseExpirationTimeSpan = Duration;
        // Nor the Host: the gateway answers any, and each would be an entry of its own.
        context.CacheVaryByRules.VaryByHost = false;
        return ValueTask.CompletedTask;
    }

    public ValueTask ServeFromCacheAsync(OutputCacheContext context, CancellationToken cancellationToken)
    {
        // The stored headers include the first caller's request id; put this request's back.
        var http = context.HttpContext;
        var requestId = http.TraceIdentifier;
        http.Response.OnStarting(() =>
        {
            http.Response.Headers[RequestCorrelation.Header] = requestId;
            return Task.CompletedTask;
        });
        return ValueTask.CompletedTask;
    }

    public ValueTask ServeResponseAsync(OutputCacheContext context, CancellationToken cancellationToken)
    {
        var response = context.HttpContext.Response;
        if (response.StatusCode != StatusCodes.Status200OK || response.Headers.SetCookie.Count > 0)
        {
            context.AllowCacheStorage = false;
        }

        return ValueTask.CompletedTask;
    }
}
