using System.ComponentModel.DataAnnotations;
using Boxoffice.Contracts.Catalog;

namespace Boxoffice.Catalog.Venues;

/// <summary>A venue with its whole seat map, created in one request (a 20,000-seat stadium included).</summary>
/// <remarks>Request types are public: .NET's validation generator skips attributes on non-public types.</remarks>
public sealed record CreateVenueRequest(
    [Required, StringLength(200, MinimumLength = 1)] string Name,
    [Required, StringLength(100, MinimumLength = 1)] string City,
    [StringLength(300)] string? Address,
    [Required, MinLength(1), MaxLength(VenueRules.MaxSections)] IReadOnlyList<SectionRequest> Sections);

/// <summary>
/// A seated section lists its <see cref="Rows"/>; a general-admission area gives its
/// <see cref="Capacity"/> instead.
/// </summary>
public sealed record SectionRequest(
    [Required, StringLength(100, MinimumLength = 1)] string Name,
    [Required] SectionKind? Kind,
    [Range(1, VenueRules.MaxCapacity)] int? Capacity,
    [MaxLength(VenueRules.MaxRowsPerSection)] IReadOnlyList<RowRequest>? Rows);

public sealed record RowRequest(
    [Required, StringLength(10, MinimumLength = 1)] string Label,
    [Range(1, VenueRules.MaxSeatsPerRow)] int Seats);

internal sealed record VenueSummary(Guid Id, string Name, string City, int Capacity);

internal sealed record SectionView(string Name, SectionKind Kind, int Capacity, IReadOnlyList<SeatRow> Rows);

internal sealed record VenueDetail(Guid Id, string Name, string City, string Address, int Capacity, IReadOnlyList<SectionView> Sections);

internal static class VenueRules
{
    public const int MaxSections = 200;
    public const int MaxRowsPerSection = 1_000;
    public const int MaxSeatsPerRow = 1_000;
    public const int MaxCapacity = 200_000;

    /// <summary>
    /// Rows in the whole venue. EventPublished carries every row to booking in one Kafka message,
    /// which must stay under the broker's 1 MB message limit (10,000 rows is about 400 KB).
    /// </summary>
    public const int MaxRows = 10_000;

    /// <summary>The rules that span fields; field-level ones are on the request types.</summary>
    public static Dictionary<string, string[]> Check(CreateVenueRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        long capacity = 0;
        for (var i = 0; i < request.Sections.Count; i++)
        {
            capacity += CheckSection(request.Sections[i], $"sections[{i}]", names, errors);
        }

        CheckSize(request, capacity, errors);
        return errors;
    }

    /// <summary>Checks one section against its kind and the names before it; returns the places it adds (none when it is unusable).</summary>
    private static long CheckSection(SectionRequest? section, string field, HashSet<string> names, Dictionary<string, string[]> errors)
    {
        if (section is null)
        {
            errors[field] = ["A section is required here."];
            return 0;
        }

        if (!names.Add(section.Name.Trim()))
        {
            errors[$"{field}.name"] = ["Another section of this venue has the same name."];
        }

        return section.Kind == SectionKind.Seated
            ? CheckSeated(section, field, errors)
            : CheckGeneralAdmission(section, field, errors);
    }

    private static long CheckSeated(SectionRequest section, string field, Dictionary<string, string[]> errors)
    {
        if (section.Rows is not { Count: > 0 } rows)
        {
            errors[$"{field}.rows"] = ["A seated section lists at least one row."];
            return 0;
        }

        if (section.Capacity is not null)
        {
            errors[$"{field}.capacity"] = ["A seated section's capacity is its seats; leave it out."];
        }

        var labels = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var r = 0; r < rows.Count; r++)
        {
            if (rows[r] is null)
            {
                errors[$"{field}.rows[{r}]"] = ["A row is required here."];
            }
            else if (!labels.Add(rows[r].Label.Trim()))
            {
                errors[$"{field}.rows[{r}].label"] = ["Another row of this section has the same label."];
            }
        }

        return rows.Sum(row => (long)(row?.Seats ?? 0));
    }

    private static long CheckGeneralAdmission(SectionRequest section, string field, Dictionary<string, string[]> errors)
    {
        if (section.Capacity is not { } places)
        {
            errors[$"{field}.capacity"] = ["A general-admission area gives its capacity."];
            return 0;
        }

        if (section.Rows is { Count: > 0 })
        {
            errors[$"{field}.rows"] = ["A general-admission area has no rows."];
        }

        return places;
    }

    /// <summary>The whole venue's limits; a capacity over the limit is the error reported when both are.</summary>
    private static void CheckSize(CreateVenueRequest request, long capacity, Dictionary<string, string[]> errors)
    {
        var rowCount = request.Sections.Sum(section => section?.Rows?.Count ?? 0);
        if (rowCount > MaxRows)
        {
            errors["sections"] = [$"The venue has {rowCount} rows; at most {MaxRows} are supported."];
        }

        if (capacity > MaxCapacity)
        {
            errors["sections"] = [$"The venue holds {capacity} places; at most {MaxCapacity} are supported."];
        }
    }
}
