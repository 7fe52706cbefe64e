using System.Text.Encodings.Web;

namespace Boxoffice.Identity.Account;

/// <summary>The sign-in page: plain, semantic HTML that works without scripts and with assistive technology.</summary>
internal static class LoginPage
{
    /// <summary>
    /// The page's policy: no script, inline styles only, never framed, and the form posts only to
    /// this site or, as the sign-in's redirects continue, to a registered client's redirect origin
    /// (browsers check <c>form-action</c> on every redirect that follows the post).
    /// </summary>
    public static string ContentSecurityPolicy(IEnumerable<string> redirectUris)
    {
        var origins = redirectUris
            .Select(uri => Uri.TryCreate(uri, UriKind.Absolute, out var parsed) ? parsed.GetLeftPart(UriPartial.Authority) : null)
            .OfType<string>()
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Order(StringComparer.Ordinal);
        return $"default-src 'none'; style-src 'unsafe-inline'; form-action {string.Join(' ', ["'self'", .. origins])}; frame-ancestors 'none'; base-uri 'none'";
    }

    public static string Render(string antiforgeryField, string antiforgeryToken, string returnUrl, string email, string? error)
    {
        var html = HtmlEncoder.Default;
        var errorBlock = error is null
            ? ""
            : $"""<p id="error" role="alert" style="color:#a40000">{html.Encode(error)}</p>""";
        var describedBy = error is null ? "" : """ aria-describedby="error" """;
        return $"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <meta name="viewport" content="width=device-width, initial-scale=1">
              <title>Sign in · Boxoffice</title>
            </head>
            <body style="font-family:system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem;line-height:1.5">
              <main>
                <h1>Sign in to Boxoffice</h1>
                {errorBlock}
                <form method="post" action="/account/login">
                  <input type="hidden" name="{html.Encode(antiforgeryField)}" value="{html.Encode(antiforgeryToken)}">
                  <input type="hidden" name="returnUrl" value="{html.Encode(returnUrl)}">
                  <p>
                    <label for="email">Email</label><br>
                    <input id="email" name="email" type="email" autocomplete="username" required maxlength="254" value="{html.Encode(email)}"{describedBy}>
                  </p>
                  <p>
                    <label for="password">Password</label><br>
                    <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="128"{describedBy}>
                  </p>
                  <p><button type="submit">Sign in</button></p>
                </form>
              </main>
            </body>
            </html>
            """;
    }
}
