namespace Boxoffice.Storefront.Extensions;

/// <summary>
/// The storefront's own answer headers. The gateway adds the OWASP set to everything it serves and
/// keeps a service's Content-Security-Policy: this one allows scripts, styles, fetches and forms
/// from this origin only, and images from it or <c>data:</c> (the tickets' QR codes). No inline
/// script or style anywhere.
/// </summary>
internal static class PageHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; manifest-src 'self'";

    public static IApplicationBuilder UsePageHeaders(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                // Pages carry a buyer's orders, holds and antiforgery tokens: never cached. Static
                // assets are fingerprinted and say how long they may be kept.
                if (headers.CacheControl.Count == 0)
                {
                    headers.CacheControl = "no-store";
                }

                return Task.CompletedTask;
            });
            return next(context);
        });
}
