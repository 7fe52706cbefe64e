using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// A request that cannot be bound (a number that is not one, malformed JSON, a body too large) is
/// the client's mistake: answer with its 4xx status as problem+json, not a 500.
/// </summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }

        httpContext.Response.StatusCode = badRequest.StatusCode;
        var problem = new ProblemDetails
        {
            Status = badRequest.StatusCode,
            Title = "The request is malformed.",
            // The framework's message names the parameter and the value, never server internals.
            Detail = badRequest.Message,
        };

        // A JSON body with a value of the wrong type names the field, as validation errors do.
        if (exception.InnerException is System.Text.Json.JsonException { Path: { Length: > 0 } path })
        {
            var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;
            problem.Extensions["errors"] = new Dictionary<string, string[]>
            {
                [field] = ["The value is malformed or of the wrong type for this field."],
            };
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = problem,
        });
    }
}
