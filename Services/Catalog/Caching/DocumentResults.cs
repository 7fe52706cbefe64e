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
            : TypedResults.Bytes(document.Body, "application/json; charset=utf-8");
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
