using System.Text.RegularExpressions;

namespace Boxoffice.Catalog.Events;

/// <summary>
/// A search's words as a PostgreSQL text-search query: each word (what spaces separate) a quoted
/// prefix (<c>'fad':*</c>), all of them required. Quoting hands each word to PostgreSQL's parser as
/// it parsed the names ("2.0", "jazz-night" and "o'neil" are found as they were stored), and
/// nothing typed is ever query syntax: inside the quotes a quote or backslash is escaped. Words
/// without a letter or digit do not count; at most <see cref="MaxWords"/> do. Letter case is left to
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

        var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
            .Where(word => LetterOrDigit().IsMatch(word))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Take(MaxWords)
            .Select(word => "'" + word.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal) + "':*")
            .ToList();
        return words.Count == 0 ? null : string.Join(" & ", words);
    }

    [GeneratedRegex(@"[\p{L}\p{N}]")]
    private static partial Regex LetterOrDigit();
}
