namespace Boxoffice.Identity.Extensions;

/// <summary>
/// Refuses, with a 400 before any endpoint reads the request, a query parameter or a client's
/// Basic credentials holding NUL (<c>%00</c>), and a URL-encoded form that ASP.NET Core cannot read
/// (it refuses NUL in a form value itself, and a form over its limits). Left to the endpoints, they
/// were 500s: OpenIddict and the sign-in page read the form without expecting it to fail, and NUL
/// in a client id reaches PostgreSQL through Entity Framework, which is outside the runner that
/// forgets spoiled prepared statements: PostgreSQL refuses the text as it binds the statement, and
/// that spoils the pooled connection's statement for the next client (see Boxoffice.Postgres's
/// PooledConnections.ForgetPrepared). The answer is problem+json and carries OAuth's <c>error</c>
/// too, so an OAuth client reads it as one of its own.
/// </summary>
internal static class NulFreeParameters
{
    public static WebApplication UseNulFreeParameters(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (HoldsNul(context.Request.Query) || BasicCredentialsHoldNul(context.Request) || !await FormReadsAsync(context.Request))
            {
                await Problems.Of(ProblemTypes.UnstorableText, "The request is malformed.",
                    "A parameter holds a NUL character (%00), or the form cannot be read.",
                    new Dictionary<string, object?> { ["error"] = "invalid_request" }).ExecuteAsync(context);
                return;
            }

            await next(context);
        });
        return app;
    }

    /// <summary>
    /// Whether <c>Authorization: Basic</c> credentials hold NUL once read as OpenIddict reads them
    /// (Base64, then URL-decoded). Credentials that are not Base64 are left to OpenIddict's refusal.
    /// </summary>
    private static bool BasicCredentialsHoldNul(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var encoded = authorization[6..].Trim();
        var decoded = new byte[(encoded.Length / 4 * 3) + 3];
        if (!Convert.TryFromBase64String(encoded, decoded, out var length))
        {
            return false;
        }

        var credentials = System.Text.Encoding.ASCII.GetString(decoded, 0, length);
        return credentials.Contains('\0') || (credentials.Contains('%') && Uri.UnescapeDataString(credentials).Contains('\0'));
    }

    /// <summary>Whether the request has no URL-encoded form or one that reads without NUL; read once and kept, so the endpoint's own read answers from it.</summary>
    private static async ValueTask<bool> FormReadsAsync(HttpRequest request)
    {
        // The only forms identity takes (the token and revocation endpoints', the sign-in page's).
        if (request.ContentType is not { } type || !type.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        try
        {
            return !HoldsNul(await request.ReadFormAsync(request.HttpContext.RequestAborted));
        }
        catch (InvalidDataException)
        {
            // ASP.NET Core's refusal of the form: a NUL in a value, or more keys or longer values than it reads.
            return false;
        }
    }

    private static bool HoldsNul(IEnumerable<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>> parameters)
    {
        foreach (var (name, values) in parameters)
        {
            if (name.Contains('\0'))
            {
                return true;
            }

            foreach (var value in values)
            {
                if (value is not null && value.Contains('\0'))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
