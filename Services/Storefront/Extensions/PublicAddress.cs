using Microsoft.Extensions.Options;

namespace Boxoffice.Storefront.Extensions;

/// <summary>
/// Browsers see the storefront only at the gateway's public URL; the gateway reaches it under an
/// internal name. Every request is taken as addressed to the public URL (scheme and host), so the
/// absolute links the framework makes (a redirect after a form, the sign-in callback) lead back
/// through the gateway, never to the internal address.
/// </summary>
internal static class PublicAddress
{
    public static IApplicationBuilder UsePublicAddress(this IApplicationBuilder app)
    {
        var publicUrl = new Uri(app.ApplicationServices.GetRequiredService<IOptions<StorefrontOptions>>().Value.PublicUrl);
        var host = HostString.FromUriComponent(publicUrl);
        return app.Use((context, next) =>
        {
            context.Request.Scheme = publicUrl.Scheme;
            context.Request.Host = host;
            return next(context);
        });
    }
}
