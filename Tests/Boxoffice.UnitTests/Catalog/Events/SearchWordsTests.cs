using Boxoffice.Catalog.Events;

namespace Boxoffice.UnitTests.Catalog;

public sealed class SearchWordsTests
{
    [Theory]
    [InlineData("fado", "'fado':*")]
    [InlineData("  Fado   PORTO ", "'Fado':* & 'PORTO':*")]
    [InlineData("jazz-night", "'jazz-night':*")]
    [InlineData("Jazz 2.0", "'Jazz':* & '2.0':*")]
    [InlineData("100% live", "'100%':* & 'live':*")]
    [InlineData("Académico Évora", "'Académico':* & 'Évora':*")]
    [InlineData("fado FADO", "'fado':*")]
    [InlineData("fado %", "'fado':*")]
    public void Every_word_is_a_quoted_prefix_and_all_are_required(string text, string query) =>
        Assert.Equal(query, SearchWords.Query(text));

    [Theory]
    [InlineData("o'neil", "'o''neil':*")]
    [InlineData(@"a\'b", @"'a\\''b':*")]
    [InlineData("fado:* | !x", "'fado:*':* & '!x':*")]
    [InlineData("x' | 'y", "'x''':* & '''y':*")]
    public void Quotes_and_backslashes_are_escaped_so_nothing_typed_becomes_query_syntax(string text, string query) =>
        Assert.Equal(query, SearchWords.Query(text));

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
