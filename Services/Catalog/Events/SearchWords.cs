using System.Text.RegularExpressions;

namespace Boxoffice.Catalog.Events;

/// <summary>
/// A search's words as a PostgreSQL text-search query: each word a prefix (<c>fad:*</c>), all of
/// them required. Words are runs of letters (with their marks) and digits, so nothing the buyer
/// types is ever tsquery syntax; at most <see cref="MaxWords"/> count. Letter case is left to
/// PostgreSQL, which lowers the query's words as it lowered the names'.
/// </summary>
internal static partial class SearchWords
{
    public const int MaxWords = 8;

    /// <summary>The query for <paramref name="text"/>, or null when it has no word (nothing but punctuation or spaces).</summary>
    public static string? Query(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var words = Word().Matches(text).Select(word => word.Value + ":*").Distinct(StringComparer.OrdinalIgnoreCase).Take(MaxWords).ToList();
        return words.Count == 0 ? null : string.Join(" & ", words);
    }

    [GeneratedRegex(@"[\p{L}\p{M}\p{N}]+")]
    private static partial Regex Word();
}
