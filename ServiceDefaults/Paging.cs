using System.Globalization;
using Boxoffice;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Microsoft.AspNetCore.Http;

/// <summary>
/// One page of a caller's own list (a buyer's orders and tickets, an organizer's venues and
/// events): <c>?limit=</c> (1–<see cref="MaxLimit"/>,
/// <see cref="DefaultLimit"/> when absent) items after the item <c>?after=</c> names (the last id of
/// the page before; absent, from the start). Keyset paging: a page reads only its own rows, however
/// long the list, and an item added meanwhile never shifts the pages.
/// </summary>
public sealed record PageRequest(int Limit, Guid? After)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 100;

    /// <summary>Reads the query; every malformed parameter is named in the errors (for one 400).</summary>
    public static (PageRequest? Page, Dictionary<string, string[]>? Errors) Parse(IQueryCollection query)
    {
        var errors = new Dictionary<string, string[]>();
        var limit = Single(query, "limit", errors) switch
        {
            null => DefaultLimit,
            var text when int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is >= 1 and <= MaxLimit => value,
            _ => Error(errors, "limit", $"The page size is a whole number from 1 to {MaxLimit}.", DefaultLimit),
        };
        Guid? after = Single(query, "after", errors) switch
        {
            null => null,
            var text when Guid.TryParseExact(text, "D", out var id) => id,
            _ => Error<Guid?>(errors, "after", "The id of the last item of the page before, from its Link header.", null),
        };

        return errors.Count == 0 ? (new PageRequest(limit, after), null) : (null, errors);
    }

    /// <summary>
    /// The answer to a list request: the page <paramref name="read"/> reads (null when <c>after</c>
    /// names nothing of the caller's list), with the next page's address when more follow, or a
    /// 400 that names the bad parameter.
    /// </summary>
    public static async Task<Results<Ok<IReadOnlyList<T>>, ValidationProblem>> AnswerAsync<T>(
        HttpRequest http, Func<PageRequest, Task<Page<T>?>> read, Func<T, Guid> idOf)
    {
        var (page, errors) = Parse(http.Query);
        if (page is null)
        {
            return TypedResults.ValidationProblem(errors!);
        }

        if (await read(page) is not { } items)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["after"] = ["Nothing in this list has this id: follow the Link header of the page before."],
            });
        }

        // The next page's address as an RFC 8288 Link, relative to the request, so it resolves on
        // the service and through the gateway alike; the last page has none.
        if (items.More)
        {
            http.HttpContext.Response.Headers.Link =
                string.Create(CultureInfo.InvariantCulture, $"<?limit={page.Limit}&after={idOf(items.Items[^1]):D}>; rel=\"next\"");
        }

        return TypedResults.Ok(items.Items);
    }

    private static string? Single(IQueryCollection query, string name, Dictionary<string, string[]> errors) =>
        query.TryGetValue(name, out var values) switch
        {
            false => null,
            true when values is [{ Length: > 0 } value] => value,
            _ => Error<string?>(errors, name, $"Give {name} once, with a value.", null),
        };

    private static T Error<T>(Dictionary<string, string[]> errors, string name, string message, T fallback)
    {
        errors.TryAdd(name, [message]);
        return fallback;
    }
}
