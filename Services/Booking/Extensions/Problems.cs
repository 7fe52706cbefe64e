using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Boxoffice.Booking;

/// <summary>The problem+json answers booking gives, each with a stable <c>type</c>.</summary>
internal static class Problems
{
    public const string TypeBase = "https://boxoffice.dev/problems/";

    public static ProblemHttpResult Conflict(string type, string title, string detail, Dictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: title, detail: detail, type: TypeBase + type, extensions: extensions);

    public static ProblemHttpResult Unprocessable(string type, string title, string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: title, detail: detail, type: TypeBase + type);

    public static ProblemHttpResult NotFound(string what) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No such {what}.", type: TypeBase + "not-found");
}

internal static class ClaimsPrincipalExtensions
{
    /// <summary>The buyer a request acts for: the token's subject.</summary>
    public static string BuyerId(this ClaimsPrincipal user) =>
        user.FindFirstValue("sub") ?? throw new InvalidOperationException("A buyer policy admitted a token without a subject.");
}
