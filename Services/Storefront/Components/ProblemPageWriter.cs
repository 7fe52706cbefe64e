using Boxoffice.Storefront.Api;
using Boxoffice.Storefront.Components.Pages;

namespace Boxoffice.Storefront.Components;

/// <summary>
/// The storefront's error answers (an unknown page, a form that failed its antiforgery check, an
/// unexpected failure) as a page: the same <see cref="ProblemPage"/> the buying actions show, with
/// the status the framework chose. The problem's type and title are kept; nothing of the exception.
/// </summary>
internal sealed class ProblemPageWriter : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => !context.HttpContext.Response.HasStarted;

    public async ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var details = context.ProblemDetails;
        var status = details.Status ?? context.HttpContext.Response.StatusCode;
        var problem = new ApiProblem(status, details.Type, details.Title ?? "Something went wrong", status >= 500 ? null : details.Detail);
        // A fresh scope: a page that failed mid-render has used up this request's renderer services.
        var http = context.HttpContext;
        var services = http.RequestServices;
        await using var scope = services.GetRequiredService<IServiceScopeFactory>().CreateAsyncScope();
        http.RequestServices = scope.ServiceProvider;
        // What the page that failed had set for the renderer.
        http.Response.Headers.Remove("blazor-enhanced-nav");
        try
        {
            await ProblemPage.Result(problem, "/").ExecuteAsync(http);
        }
        finally
        {
            http.RequestServices = services;
        }
    }
}
