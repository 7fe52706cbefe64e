using System.Net;
using System.Text.Json;

namespace Boxoffice.Storefront.Api;

/// <summary>
/// An API's refusal as the storefront shows it: the problem+json fields (RFC 9457) and, for a 429,
/// how long to wait. <see cref="Name"/> is the last segment of the stable type URI (<c>sold-out</c>).
/// </summary>
public sealed record ApiProblem(int Status, string? Type, string Title, string? Detail, TimeSpan? RetryAfter = null, JsonElement? Body = null)
{
    public string Name => Type is { Length: > 0 } type ? type[(type.LastIndexOf('/') + 1)..] : "";

    public static ApiProblem Unavailable { get; } = new((int)HttpStatusCode.ServiceUnavailable, null, "Boxoffice is briefly unavailable.", "Please try again in a moment.");

    public string? Extension(string name) =>
        Body is { ValueKind: JsonValueKind.Object } body && body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

/// <summary>What an API call came to: the value, or the problem; and when the API said to ask again (its Retry-After), if it did.</summary>
internal readonly record struct ApiAnswer<T>(T? Value, ApiProblem? Problem, TimeSpan? RetryAfter = null)
{
    public bool Succeeded => Problem is null;

    public static implicit operator ApiAnswer<T>(ApiProblem problem) => new(default, problem);
}
