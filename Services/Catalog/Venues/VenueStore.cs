using Boxoffice.Contracts.Catalog;
using Boxoffice.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace Boxoffice.Catalog.Venues;

/// <summary>Venues and their seat maps in catalogdb. Every read is scoped to the organizer who owns the venue.</summary>
internal static class VenueStore
{
    public static async Task<VenueDetail> CreateAsync(NpgsqlDataSource db, string organizerId, CreateVenueRequest request, CancellationToken cancellationToken)
    {
        var venue = Describe(Guid.CreateVersion7(), request);

        // One round trip, one transaction: the venue, its sections and every row go in together or not at all.
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = transaction.Batch(InsertVenue(venue, organizerId), InsertSections(venue), InsertRows(venue));
        await batch.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return venue;
    }

    /// <summary>The venue as it is stored: trimmed text, and a seated section's capacity is the sum of its seats.</summary>
    private static VenueDetail Describe(Guid id, CreateVenueRequest request)
    {
        var sections = request.Sections.Select(section => new SectionView(
            section.Name.Trim(),
            section.Kind!.Value,
            section.Kind == SectionKind.Seated ? section.Rows!.Sum(row => row.Seats) : section.Capacity!.Value,
            section.Kind == SectionKind.Seated ? [.. section.Rows!.Select(row => new SeatRow(row.Label.Trim(), row.Seats))] : [])).ToList();
        return new VenueDetail(id, request.Name.Trim(), request.City.Trim(), request.Address?.Trim() ?? "", sections.Sum(s => s.Capacity), sections);
    }

    private static NpgsqlBatchCommand InsertVenue(VenueDetail venue, string organizerId) => Sql.Statement(
        "INSERT INTO venues (id, organizer_id, name, city, address, capacity) VALUES ($1, $2, $3, $4, $5, $6)",
        venue.Id, organizerId, venue.Name, venue.City, venue.Address, venue.Capacity);

    /// <summary>Every section in one statement: the columns as arrays, in the venue's order.</summary>
    private static NpgsqlBatchCommand InsertSections(VenueDetail venue) => Sql.Statement(
        """
        INSERT INTO sections (venue_id, position, name, kind, capacity)
        SELECT $1, position - 1, name, kind, capacity FROM unnest($2::text[], $3::text[], $4::int[]) WITH ORDINALITY AS s(name, kind, capacity, position)
        """,
        venue.Id,
        venue.Sections.Select(s => s.Name).ToArray(),
        venue.Sections.Select(s => KindName(s.Kind)).ToArray(),
        venue.Sections.Select(s => s.Capacity).ToArray());

    /// <summary>Every row of every seated section in one statement: the columns as arrays.</summary>
    private static NpgsqlBatchCommand InsertRows(VenueDetail venue)
    {
        var rowSections = new List<int>();
        var rowPositions = new List<int>();
        var rowLabels = new List<string>();
        var rowSeats = new List<int>();
        for (var s = 0; s < venue.Sections.Count; s++)
        {
            for (var r = 0; r < venue.Sections[s].Rows.Count; r++)
            {
                rowSections.Add(s);
                rowPositions.Add(r);
                rowLabels.Add(venue.Sections[s].Rows[r].Label);
                rowSeats.Add(venue.Sections[s].Rows[r].Seats);
            }
        }

        return Sql.Statement(
            """
            INSERT INTO seat_rows (venue_id, section_position, position, label, seats)
            SELECT $1, section_position, position, label, seats FROM unnest($2::int[], $3::int[], $4::text[], $5::int[]) AS r(section_position, position, label, seats)
            """,
            venue.Id, rowSections.ToArray(), rowPositions.ToArray(), rowLabels.ToArray(), rowSeats.ToArray());
    }

    /// <summary>
    /// A page of the organizer's venues, oldest first (ties by id), after the venue
    /// <paramref name="after"/>; null when that is not one of the organizer's. Keyset over
    /// <c>venues_by_organizer</c>.
    /// </summary>
    public static async Task<Page<VenueSummary>?> ListAsync(NpgsqlConnection connection, string organizerId, int limit, Guid? after, CancellationToken cancellationToken)
    {
        var (found, afterCreated) = await connection.AnchorAsync(
            after, "SELECT created_at FROM venues WHERE id = $1 AND organizer_id = $2", organizerId, row => (DateTimeOffset?)row.GetFieldValue<DateTimeOffset>(0), cancellationToken);
        if (!found)
        {
            return null;
        }

        await using var command = connection.Command(
            """
            SELECT id, name, city, capacity FROM venues
            WHERE organizer_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3::uuid))
            ORDER BY created_at, id
            LIMIT $4
            """, organizerId, Sql.Typed(afterCreated, NpgsqlDbType.TimestampTz), Sql.Typed(after, NpgsqlDbType.Uuid), limit + 1);
        var venues = new List<VenueSummary>(limit + 1);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            venues.Add(new VenueSummary(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3)));
        }

        return Page.From(venues, limit);
    }

    /// <summary>The venue with its seat map, or null when it does not exist or belongs to someone else.</summary>
    public static async Task<VenueDetail?> FindAsync(NpgsqlConnection connection, Guid id, string? organizerId, CancellationToken cancellationToken)
    {
        await using var batch = connection.Batch(
            Sql.Statement("SELECT name, city, address, capacity FROM venues WHERE id = $1 AND ($2::text IS NULL OR organizer_id = $2)", id, Sql.Typed(organizerId, NpgsqlDbType.Text)),
            Sql.Statement("SELECT position, name, kind, capacity FROM sections WHERE venue_id = $1 ORDER BY position", id),
            Sql.Statement("SELECT section_position, label, seats FROM seat_rows WHERE venue_id = $1 ORDER BY section_position, position", id));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var (name, city, address, capacity) = (reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3));
        await reader.NextResultAsync(cancellationToken);
        var sections = new List<(string Name, SectionKind Kind, int Capacity, List<SeatRow> Rows)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            sections.Add((reader.GetString(1), ParseKind(reader.GetString(2)), reader.GetInt32(3), []));
        }

        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            sections[reader.GetInt32(0)].Rows.Add(new SeatRow(reader.GetString(1), reader.GetInt32(2)));
        }

        return new VenueDetail(id, name, city, address, capacity, [.. sections.Select(s => new SectionView(s.Name, s.Kind, s.Capacity, s.Rows))]);
    }

    public static string KindName(SectionKind kind) => kind == SectionKind.Seated ? "seated" : "general-admission";

    public static SectionKind ParseKind(string kind) => kind == "seated" ? SectionKind.Seated : SectionKind.GeneralAdmission;
}
