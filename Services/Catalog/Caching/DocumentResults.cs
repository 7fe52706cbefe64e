using Microsoft.Net.Http.Headers;

namespace Boxoffice.Catalog.Caching;

/// <summary>Sends a cached document with its validators: 304 when the client already has it.</summary>
internal static class DocumentResults
{
    /// <summary>Shared caches and browsers may keep a public answer briefly; after that they revalidate with the ETag.</summary>
    public const string PublicCacheControl = "public, max-age=10";

    public static IResult Send(HttpContext context, CachedDocument document)
    {
        if (!document.Found)
        {
            return TypedResults.NotFound();
        }

        var headers = context.Response.Headers;
        headers.ETag = document.ETag;
        headers.CacheControl = PublicCacheControl;
        return Matches(context.Request.Headers.IfNoneMatch, document.ETag)
            ? TypedResults.StatusCode(StatusCodes.Status304NotModified)
            : new JsonBody(document.Body);
    }

    /// <summary>
    /// Writes bytes that already are the JSON answer. Leaner than the file-result path behind
    /// Results.Bytes (no range or precondition processing), which a cache hit does not need.
    /// </summary>
    private sealed class JsonBody(byte[] body) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.ContentType = "application/json; charset=utf-8";
            response.ContentLength = body.Length;
            return HttpMethods.IsHead(httpContext.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(body, 0, body.Length);
        }
    }

    /// <summary>If-None-Match uses the weak comparison (RFC 9110 13.1.2): W/"x" matches "x"; * matches anything.</summary>
    private static bool Matches(Microsoft.Extensions.Primitives.StringValues ifNoneMatch, string eTag)
    {
        if (ifNoneMatch.Count == 0 || !EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags))
        {
            return false;
        }

        var current = new EntityTagHeaderValue(eTag);
        return tags.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(current, useStrongComparison: false));
    }
}
