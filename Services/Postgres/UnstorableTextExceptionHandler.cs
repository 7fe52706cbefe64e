using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace Boxoffice.Postgres;

/// <summary>
/// Text PostgreSQL cannot store (a NUL character, which JSON allows as \u0000) is the client's
/// mistake, found only when the statement runs: answer 400, not 500. The transaction was rolled
/// back with the failed statement, so nothing was written.
/// </summary>
public sealed class UnstorableTextExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not PostgresException { SqlState: PostgresErrorCodes.CharacterNotInRepertoire or PostgresErrorCodes.UntranslatableCharacter })
        {
            return false;
        }

        httpContext.Response.StatusCode = StatusCodes.Status400BadRequest;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails =
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "The request is malformed.",
                Detail = "A text value holds a character that cannot be stored, such as NUL (\\u0000).",
            },
        });
    }
}
