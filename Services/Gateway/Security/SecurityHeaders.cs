namespace Boxoffice.Gateway.Security;

/// <summary>
/// OWASP secure headers on every response leaving the gateway, its own and proxied ones, and no
/// headers that name the server software. A service may set a stricter or page-specific
/// Content-Security-Policy (the login page does); otherwise the API default applies.
/// </summary>
internal static class SecurityHeaders
{
    private static readonly string[] Removed = ["Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version"];

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            var authenticated = context.Request.Headers.Authorization.Count > 0;
            var safe = HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method);
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                foreach (var name in Removed)
                {
                    headers.Remove(name);
                }

                headers.StrictTransportSecurity = "max-age=31536000; includeSubDomains";
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
                headers["Permissions-Policy"] = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                headers["Cross-Origin-Resource-Policy"] = "same-origin";
                // Pages load nothing from other origins; no Flash or PDF cross-domain policy file applies.
                headers["Cross-Origin-Embedder-Policy"] = "require-corp";
                headers["X-Permitted-Cross-Domain-Policies"] = "none";
                if (headers.ContentSecurityPolicy.Count == 0)
                {
                    headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";
                }

                // Answers to a caller with credentials are theirs alone: no shared or browser cache.
                // Nor is any answer to a change (a registration's 201, a token) kept, unless the
                // service said how it may be cached.
                if (authenticated || headers.SetCookie.Count > 0 || (!safe && headers.CacheControl.Count == 0))
                {
                    headers.CacheControl = "no-store";
                }

                return Task.CompletedTask;
            });
            return next(context);
        });
}
