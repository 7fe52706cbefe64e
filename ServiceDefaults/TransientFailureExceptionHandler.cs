using System.Data.Common;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// A dependency that is briefly away (a database restarting, a connection broken under the
/// request) is not a bug in the request or the service: answer 503 with Retry-After, so clients
/// and their retry policies know to try again, instead of a 500.
/// </summary>
internal sealed class TransientFailureExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not DbException { IsTransient: true } && exception.InnerException is not DbException { IsTransient: true })
        {
            return false;
        }

        httpContext.Response.Headers.RetryAfter = "1";
        return await problems.WriteProblemAsync(httpContext, exception, ProblemTypes.Unavailable,
            "The service is briefly unavailable.", "A dependency did not answer. Try again in a second.");
    }
}
