using Boxoffice.Catalog.Venues;
using Boxoffice.Contracts.Catalog;

namespace Boxoffice.UnitTests.Catalog.Venues;

/// <summary>
/// The rules of a new venue that span fields (<c>POST /venues</c>); the field-level ones are
/// attributes on the request and run before. Errors are keyed by the JSON path a client sent.
/// </summary>
public sealed class VenueRulesTests
{
    [Fact]
    public void A_venue_of_seated_sections_and_standing_areas_passes()
    {
        Assert.Empty(VenueRules.Check(Venue(
            Seated("Stalls", Row("A", 20), Row("B", 22)),
            Seated("Circle", Row("A", 10)),
            Standing("Pit", 500))));
    }

    [Fact]
    public void A_missing_section_is_named_by_its_index()
    {
        Errors.AssertEqual(VenueRules.Check(Venue(Standing("Pit", 10), null!)), ("sections[1]", "A section is required here."));
    }

    [Fact]
    public void Two_sections_with_one_name_are_refused_whatever_the_case_and_spaces()
    {
        Errors.AssertEqual(VenueRules.Check(Venue(Standing("Pit", 10), Standing(" pit ", 10))),
            ("sections[1].name", "Another section of this venue has the same name."));
    }

    [Fact]
    public void A_seated_section_without_rows_is_refused_and_its_other_mistakes_wait()
    {
        Errors.AssertEqual(VenueRules.Check(Venue(new SectionRequest("Stalls", SectionKind.Seated, null, null))),
            ("sections[0].rows", "A seated section lists at least one row."));
        Errors.AssertEqual(VenueRules.Check(Venue(new SectionRequest("Stalls", SectionKind.Seated, 100, []))),
            ("sections[0].rows", "A seated section lists at least one row."));
    }

    [Fact]
    public void A_seated_section_with_a_capacity_is_refused()
    {
        Errors.AssertEqual(VenueRules.Check(Venue(new SectionRequest("Stalls", SectionKind.Seated, 40, [Row("A", 20)]))),
            ("sections[0].capacity", "A seated section's capacity is its seats; leave it out."));
    }

    [Fact]
    public void A_missing_row_is_named_by_its_index()
    {
        Errors.AssertEqual(VenueRules.Check(Venue(Seated("Stalls", Row("A", 20), null!, Row("C", 20)))),
            ("sections[0].rows[1]", "A row is required here."));
    }

    [Fact]
    public void Two_rows_of_a_section_with_one_label_are_refused_whatever_the_case_and_spaces()
    {
        Errors.AssertEqual(VenueRules.Check(Venue(Seated("Stalls", Row("A", 20), Row("B", 20), Row(" a", 20)))),
            ("sections[0].rows[2].label", "Another row of this section has the same label."));
    }

    [Fact]
    public void One_row_label_in_two_sections_passes()
    {
        Assert.Empty(VenueRules.Check(Venue(Seated("Stalls", Row("A", 20)), Seated("Circle", Row("A", 20)))));
    }

    [Fact]
    public void A_standing_area_without_a_capacity_is_refused_and_its_other_mistakes_wait()
    {
        Errors.AssertEqual(VenueRules.Check(Venue(new SectionRequest("Pit", SectionKind.GeneralAdmission, null, [Row("A", 10)]))),
            ("sections[0].capacity", "A general-admission area gives its capacity."));
    }

    [Fact]
    public void A_standing_area_with_rows_is_refused()
    {
        Errors.AssertEqual(VenueRules.Check(Venue(new SectionRequest("Pit", SectionKind.GeneralAdmission, 100, [Row("A", 10)]))),
            ("sections[0].rows", "A general-admission area has no rows."));
    }

    [Fact]
    public void Every_section_is_checked_not_only_the_first_wrong_one()
    {
        Errors.AssertEqual(VenueRules.Check(Venue(
                new SectionRequest("Stalls", SectionKind.Seated, null, null),
                Standing("Pit", 10),
                new SectionRequest("Lawn", SectionKind.GeneralAdmission, null, null),
                Standing("PIT", 10))),
            ("sections[0].rows", "A seated section lists at least one row."),
            ("sections[2].capacity", "A general-admission area gives its capacity."),
            ("sections[3].name", "Another section of this venue has the same name."));
    }

    [Fact]
    public void A_venue_of_exactly_the_most_rows_and_places_passes()
    {
        // 10 sections of 1,000 rows of 10 seats = 10,000 rows and 100,000 places, plus 100,000 standing.
        var sections = Enumerable.Range(0, 10).Select(s => FullSection($"Block {s}", seatsPerRow: 10)).Append(Standing("Lawn", 100_000)).ToArray();

        Assert.Empty(VenueRules.Check(Venue(sections)));
    }

    [Fact]
    public void More_rows_than_one_event_message_can_carry_are_refused()
    {
        var sections = Enumerable.Range(0, 10).Select(s => FullSection($"Block {s}", seatsPerRow: 1)).Append(Seated("Extra", Row("A", 1))).ToArray();

        Errors.AssertEqual(VenueRules.Check(Venue(sections)), ("sections", "The venue has 10001 rows; at most 10000 are supported."));
    }

    [Fact]
    public void More_places_than_the_most_a_venue_holds_are_refused()
    {
        Errors.AssertEqual(VenueRules.Check(Venue(Standing("Lawn", 200_000), Seated("Box", Row("A", 1)))),
            ("sections", "The venue holds 200001 places; at most 200000 are supported."));
    }

    [Fact]
    public void Too_many_places_is_said_rather_than_too_many_rows_when_both_are_over()
    {
        var sections = Enumerable.Range(0, 11).Select(s => FullSection($"Block {s}", seatsPerRow: 20)).ToArray();

        Errors.AssertEqual(VenueRules.Check(Venue(sections)), ("sections", "The venue holds 220000 places; at most 200000 are supported."));
    }

    private static CreateVenueRequest Venue(params SectionRequest[] sections) => new("Arena", "Utrecht", null, sections);

    private static SectionRequest Seated(string name, params RowRequest[] rows) => new(name, SectionKind.Seated, null, rows);

    private static SectionRequest Standing(string name, int capacity) => new(name, SectionKind.GeneralAdmission, capacity, null);

    private static SectionRequest FullSection(string name, int seatsPerRow) =>
        Seated(name, [.. Enumerable.Range(1, VenueRules.MaxRowsPerSection).Select(r => Row($"R{r}", seatsPerRow))]);

    private static RowRequest Row(string label, int seats) => new(label, seats);
}
