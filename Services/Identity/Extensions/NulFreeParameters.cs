namespace Boxoffice.Identity.Extensions;

/// <summary>
/// Refuses, with a 400 before any endpoint reads the request, a query parameter holding NUL
/// (<c>%00</c>) and a form that ASP.NET Core cannot read (it refuses NUL in a form value itself,
/// and a form over its limits). Left to the endpoints, both were 500s: OpenIddict and the sign-in
/// page read the form without expecting it to fail, and a query's NUL reaches PostgreSQL, which
/// refuses the text as it binds the statement and so spoils the pooled connection's prepared
/// statement for the next client (see Boxoffice.Postgres's PooledConnections.ForgetPrepared). The
/// answer is problem+json and carries OAuth's <c>error</c> too, so an OAuth client reads it as one
/// of its own.
/// </summary>
internal static class NulFreeParameters
{
    public static WebApplication UseNulFreeParameters(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (HoldsNul(context.Request.Query) || !await FormReadsAsync(context.Request))
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

    /// <summary>Whether the request has no form or one that reads without NUL; read once and kept, so the endpoint's own read answers from it.</summary>
    private static async ValueTask<bool> FormReadsAsync(HttpRequest request)
    {
        if (!request.HasFormContentType)
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
