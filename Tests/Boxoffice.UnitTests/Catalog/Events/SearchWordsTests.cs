using Boxoffice.Catalog.Events;

namespace Boxoffice.UnitTests.Catalog;

public sealed class SearchWordsTests
{
    [Theory]
    [InlineData("fado", "fado:*")]
    [InlineData("  Fado   PORTO ", "Fado:* & PORTO:*")]
    [InlineData("jazz-night", "jazz:* & night:*")]
    [InlineData("100%", "100:*")]
    [InlineData("Académico Évora", "Académico:* & Évora:*")]
    [InlineData("fado FADO", "fado:*")]
    public void Every_word_is_a_prefix_and_all_are_required(string text, string query) =>
        Assert.Equal(query, SearchWords.Query(text));

    [Theory]
    [InlineData("fado:* | !x")]
    [InlineData("a&b|c!d(e)")]
    [InlineData("'; DROP TABLE events; --")]
    [InlineData("x<->y")]
    public void Nothing_typed_becomes_query_syntax(string text)
    {
        var query = SearchWords.Query(text);
        Assert.NotNull(query);
        Assert.Matches(@"^[\p{L}\p{M}\p{N}]+:\*( & [\p{L}\p{M}\p{N}]+:\*)*$", query);
    }

    [Theory]
    [InlineData("%")]
    [InlineData("_ % !")]
    [InlineData("   ")]
    [InlineData(null)]
    public void Text_without_a_letter_or_digit_has_no_words(string? text) => Assert.Null(SearchWords.Query(text));

    [Fact]
    public void At_most_eight_words_count() =>
        Assert.Equal(SearchWords.MaxWords, SearchWords.Query(string.Join(' ', Enumerable.Range(1, 20).Select(n => $"w{n}")))!.Split(" & ").Length);
}
