using System.Data.Common;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Text the database cannot store (a NUL character, or one its encoding lacks) is the client's
/// mistake, found only when the statement runs: answer 400 <c>unstorable-text</c>, not 500. The
/// transaction was rolled back with the failed statement, so nothing was written. Most such text
/// is refused before any statement runs (<see cref="NulFreeTextConverter"/>, and the services'
/// own checks of route, query and form values); this is the net under the rest, in every service.
/// It knows the failure by its SQLSTATE, as every ADO.NET provider reports it, so ServiceDefaults
/// needs no PostgreSQL client; an Entity Framework failure carries it as its inner exception.
/// </summary>
public sealed class UnstorableTextExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    /// <summary>PostgreSQL's character_not_in_repertoire (NUL in text) and untranslatable_character.</summary>
    private static readonly string[] States = ["22021", "22P05"];

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsUnstorableText(exception) && !IsUnstorableText(exception.InnerException))
        {
            return false;
        }

        return await problems.WriteProblemAsync(httpContext, exception, ProblemTypes.UnstorableText,
            "The request is malformed.", "A text value holds a character that cannot be stored, such as NUL (\\u0000).");
    }

    internal static bool IsUnstorableText(Exception? exception) =>
        exception is DbException { SqlState: { } state } && States.Contains(state);
}
