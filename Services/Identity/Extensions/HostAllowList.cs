using Boxoffice.Identity.Seeding;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Boxoffice.Identity.Extensions;

/// <summary>
/// Answers only to the identity server's own names: the issuer's host, <see cref="IdentitySettings.InternalHosts"/>
/// and the hosts of <see cref="IdentitySettings.InternalUrls"/> (its endpoints as the AppHost names them). The gateway forwards a client's Host to
/// identity (sign-in pages and redirects are built for the address the browser used), so a
/// client could otherwise make identity speak for any host it names: a redirect, a link or a
/// cached page pointing elsewhere. The names are the issuer's host and
/// <see cref="IdentitySettings.InternalHosts"/>. Probes and scrapes (<c>/health</c>,
/// <c>/alive</c>, <c>/metrics</c>) build nothing from the Host and come from the platform by
/// whatever address it has, so they are left out. ASP.NET Core's own host filtering answers
/// with an HTML page before any of the app's error handling; this one answers problem+json.
/// </summary>
internal static class HostAllowList
{
    public static WebApplication UseHostAllowList(this WebApplication app)
    {
        var settings = app.Services.GetRequiredService<IOptions<IdentitySettings>>().Value;
        List<StringSegment> allowed =
        [
            new(new Uri(settings.Issuer).Host),
            .. settings.InternalHosts.Select(host => new StringSegment(host)),
            .. settings.InternalUrls.Where(url => Uri.IsWellFormedUriString(url, UriKind.Absolute)).Select(url => new StringSegment(new Uri(url).Host)),
        ];
        app.Use(async (context, next) =>
        {
            if (HostString.MatchesAny(context.Request.Host.Host ?? "", allowed) || ServiceDefaultsExtensions.IsProbe(context.Request.Path))
            {
                await next(context);
                return;
            }

            await Problems.Of(ProblemTypes.HostNotAllowed, "This server does not answer to that host name.").ExecuteAsync(context);
        });
        return app;
    }
}
