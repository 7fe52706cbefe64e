using System.Text.Encodings.Web;

namespace Boxoffice.Identity.Connect;

/// <summary>
/// "Sign out of Boxoffice?": asked when a logout request does not prove it comes from the user's
/// own client (no <c>id_token_hint</c> of the signed-in user), so a link or image on another site
/// cannot end the session (logout CSRF). The form posts the same request back, with an
/// antiforgery token. Plain HTML, no script.
/// </summary>
internal static class LogoutPage
{
    /// <summary>The form field that says the user confirmed.</summary>
    public const string ConfirmField = "confirm";

    public static string Render(string antiforgeryField, string antiforgeryToken, IEnumerable<KeyValuePair<string, string>> request)
    {
        var html = HtmlEncoder.Default;
        var fields = string.Concat(request.Select(field =>
            $"""<input type="hidden" name="{html.Encode(field.Key)}" value="{html.Encode(field.Value)}">""" + "\n      "));
        return $"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <meta name="viewport" content="width=device-width, initial-scale=1">
              <title>Sign out · Boxoffice</title>
            </head>
            <body style="font-family:system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem;line-height:1.5">
              <main>
                <h1>Sign out of Boxoffice?</h1>
                <form method="post" action="/connect/logout">
                  <input type="hidden" name="{html.Encode(antiforgeryField)}" value="{html.Encode(antiforgeryToken)}">
                  {fields}<p><button type="submit" name="{ConfirmField}" value="yes">Sign out</button></p>
                </form>
              </main>
            </body>
            </html>
            """;
    }
}
