using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Boxoffice.UnitTests.ServiceDefaults;

/// <summary>
/// The problem catalogue (<see cref="ProblemTypes.All"/>) is what clients program against: stable
/// names, one URI base, error statuses, and docs/problems.md saying the same, in the same order.
/// </summary>
public sealed partial class ProblemCatalogueTests
{
    [Fact]
    public void Every_problem_has_a_name_of_its_own()
    {
        var repeated = ProblemTypes.All.GroupBy(type => type.Name).Where(group => group.Count() > 1).Select(group => group.Key);

        Assert.Empty(repeated);
    }

    [Fact]
    public void Every_problem_name_is_a_kebab_case_word_and_its_type_an_absolute_uri()
    {
        Assert.All(ProblemTypes.All, type =>
        {
            Assert.Matches(ProblemName(), type.Name);
            Assert.True(Uri.IsWellFormedUriString(type.Uri, UriKind.Absolute), type.Uri);
        });
    }

    [Fact]
    public void Every_problem_type_declared_is_in_the_catalogue()
    {
        var declared = typeof(ProblemTypes).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(field => field.FieldType == typeof(ProblemType))
            .Select(field => ((ProblemType)field.GetValue(null)!).Name);

        Assert.Equal(declared.Order(StringComparer.Ordinal), ProblemTypes.All.Select(type => type.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_problem_is_answered_with_an_error_status()
    {
        Assert.All(ProblemTypes.All, type => Assert.InRange(type.Status, 400, 599));
    }

    [Fact]
    public void Every_problem_has_a_meaning()
    {
        Assert.All(ProblemTypes.All, type => Assert.False(string.IsNullOrWhiteSpace(type.Meaning), type.Name));
    }

    [Fact]
    public void Docs_list_exactly_the_catalogue_in_its_order()
    {
        var path = Repository.PathOf("docs/problems.md");
        Assert.True(File.Exists(path), $"{path} is missing: it lists the problem catalogue (ProblemTypes.All) for clients.");

        var documented = DocumentedProblems(File.ReadAllLines(path));
        var catalogue = ProblemTypes.All.Select(type => $"{type.Name} | {type.Status} | {type.Meaning}");

        Assert.Equal(catalogue, documented);
    }

    /// <summary>
    /// The rows of the table <c>| `name` | status | meaning | answered by |</c>, as
    /// <c>name | status | meaning</c>: a row is one whose first cell is a code-formatted name.
    /// </summary>
    private static IEnumerable<string> DocumentedProblems(IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            var cells = Cells(line);
            if (cells.Count >= 3 && DocumentedName().Match(cells[0]) is { Success: true } name)
            {
                var status = LeadingStatus().Match(cells[1]);
                yield return $"{name.Groups[1].Value} | {(status.Success ? int.Parse(status.Value, CultureInfo.InvariantCulture) : cells[1])} | {cells[2]}";
            }
        }
    }

    /// <summary>The cells of a Markdown table row (an escaped <c>\|</c> stays inside its cell); none for another line.</summary>
    private static List<string> Cells(string line)
    {
        var trimmed = line.Trim();
        if (!trimmed.StartsWith('|'))
        {
            return [];
        }

        return [.. CellSeparator().Split(trimmed.Trim('|')).Select(cell => cell.Replace("\\|", "|", StringComparison.Ordinal).Trim())];
    }

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex ProblemName();

    [GeneratedRegex("^`([a-z0-9-]+)`$")]
    private static partial Regex DocumentedName();

    [GeneratedRegex("^[45][0-9]{2}")]
    private static partial Regex LeadingStatus();

    [GeneratedRegex(@"(?<!\\)\|")]
    private static partial Regex CellSeparator();
}
