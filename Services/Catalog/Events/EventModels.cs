using System.ComponentModel.DataAnnotations;
using Boxoffice.Contracts.Catalog;

namespace Boxoffice.Catalog.Events;

/// <summary>
/// What an organizer sends to create an event, or to change it while it is a draft.
/// <see cref="WaitingRoom"/>: the event sells through a waiting room; null, it does not.
/// <see cref="TicketLimit"/>: the most places one buyer may hold or own of the event; null, booking's own cap.
/// </summary>
/// <remarks>
/// Request types are public: .NET's validation generator skips attributes on non-public types.
/// <c>TicketLimit</c>'s attribute targets the property, as in <see cref="TicketLimitRequest"/>.
/// </remarks>
public sealed record EventRequest(
    [Required] Guid? VenueId,
    [Required, StringLength(200, MinimumLength = 1)] string Name,
    [StringLength(5_000)] string? Description,
    [Required] DateTimeOffset? StartsAt,
    [Required] DateTimeOffset? SaleOpensAt,
    [Required] DateTimeOffset? SaleClosesAt,
    [Required, RegularExpression("^[A-Z]{3}$", ErrorMessage = "The currency is an ISO 4217 code such as EUR.")] string Currency,
    [Required, MinLength(1), MaxLength(EventRules.MaxTiers)] IReadOnlyList<TierRequest> Tiers,
    WaitingRoomRequest? WaitingRoom = null,
    [property: Range(1, EventRules.MaxTicketLimit)] int? TicketLimit = null);

/// <summary>The body of <c>PUT .../ticket-limit</c>: the event's new ticket limit.</summary>
/// <remarks>
/// The ticket limit's attributes target the property: the validation generator reads them there
/// as well as on the parameter, and the OpenAPI document only there, so it shows the bounds.
/// </remarks>
public sealed record TicketLimitRequest([property: Required, Range(1, EventRules.MaxTicketLimit)] int? TicketLimit);

/// <summary>A price for the seats and places of the venue sections it names.</summary>
public sealed record TierRequest(
    [Required, StringLength(100, MinimumLength = 1)] string Name,
    [Required, Range(0.0, 100_000.0)] decimal? Price,
    [Required, MinLength(1)] IReadOnlyList<string> Sections);

internal sealed record VenueRef(Guid Id, string Name, string City, string Address);

internal sealed record TierView(Guid Id, string Name, decimal Price, IReadOnlyList<string> Sections);

internal sealed record EventDetail(
    Guid Id,
    string Name,
    string Description,
    EventStatus Status,
    DateTimeOffset StartsAt,
    DateTimeOffset SaleOpensAt,
    DateTimeOffset SaleClosesAt,
    string Currency,
    VenueRef Venue,
    IReadOnlyList<TierView> Tiers,
    WaitingRoomSettings? WaitingRoom,
    int? TicketLimit,
    int Version)
{
    /// <summary>The tier that prices each section (by the venue's spelling, any case); unpriced sections are absent.</summary>
    public Dictionary<string, Guid> TierBySection() => Tiers
        .SelectMany(tier => tier.Sections.Select(section => (section, tier.Id)))
        .ToDictionary(pair => pair.section, pair => pair.Id, StringComparer.OrdinalIgnoreCase);
}

internal sealed record EventSummary(Guid Id, string Name, string City, DateTimeOffset StartsAt, EventStatus Status);

internal sealed record EventPage(IReadOnlyList<EventSummary> Items, int Page, int PageSize, long Total);

/// <summary>The venue's layout for one event: each section with its rows and the tier it sells at (none: not on sale).</summary>
internal sealed record SeatMap(Guid EventId, Guid VenueId, int Capacity, IReadOnlyList<SeatMapSection> Sections);

internal sealed record SeatMapSection(string Name, SectionKind Kind, int Capacity, Guid? TierId, IReadOnlyList<SeatRow> Rows);

internal static class EventRules
{
    public const int MaxTiers = 50;

    /// <summary>
    /// The highest ticket limit an organizer may set. Booking caps every buyer at its own
    /// <c>MaxUnitsPerBuyer</c> too, so a limit above that allows no more than it.
    /// </summary>
    public const int MaxTicketLimit = 10;

    /// <summary>
    /// The request with its times cut to whole microseconds, PostgreSQL's precision: rules are
    /// checked on the values that will be stored (two times 100 ns apart would otherwise pass
    /// the check here and then be equal in the database).
    /// </summary>
    public static EventRequest Normalized(this EventRequest request) => request with
    {
        StartsAt = Microseconds(request.StartsAt),
        SaleOpensAt = Microseconds(request.SaleOpensAt),
        SaleClosesAt = Microseconds(request.SaleClosesAt),
        WaitingRoom = request.WaitingRoom?.Normalized(),
    };

    public static DateTimeOffset? Microseconds(DateTimeOffset? time) =>
        time is { } value ? value.AddTicks(-(value.UtcTicks % TimeSpan.TicksPerMicrosecond)) : null;

    /// <summary>The rules that need the venue or span fields; field-level ones are on the request types.</summary>
    public static Dictionary<string, string[]> Check(EventRequest request, Venues.VenueDetail? venue, DateTimeOffset now)
    {
        var errors = new Dictionary<string, string[]>();
        if (venue is null)
        {
            errors["venueId"] = ["No venue with this id belongs to you."];
        }

        if (request.StartsAt <= now)
        {
            errors["startsAt"] = ["The event starts in the future."];
        }

        if (request.SaleOpensAt >= request.SaleClosesAt)
        {
            errors["saleClosesAt"] = ["The sale closes after it opens."];
        }
        else if (request.SaleClosesAt > request.StartsAt)
        {
            errors["saleClosesAt"] = ["The sale closes no later than the event starts."];
        }

        if (request.WaitingRoom is { } room)
        {
            foreach (var (field, messages) in WaitingRoomRules.Check(room, request.SaleOpensAt!.Value, "waitingRoom."))
            {
                errors[field] = messages;
            }
        }

        CheckTiers(request, venue, errors);
        return errors;
    }

    /// <summary>The waiting room the request asks for, with its defaults filled in; null for none.</summary>
    public static WaitingRoomSettings? ResolvedWaitingRoom(this EventRequest request) =>
        request.WaitingRoom is { } room ? WaitingRoomRules.Resolve(room, request.SaleOpensAt!.Value) : null;

    /// <summary>Unique names, prices of at most two decimals, and each of the venue's sections priced by one tier at most.</summary>
    private static void CheckTiers(EventRequest request, Venues.VenueDetail? venue, Dictionary<string, string[]> errors)
    {
        var tierNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var priced = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var sections = venue?.Sections.Select(section => section.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < request.Tiers.Count; i++)
        {
            var tier = request.Tiers[i];
            if (tier is null)
            {
                errors[$"tiers[{i}]"] = ["A tier is required here."];
                continue;
            }

            if (!tierNames.Add(tier.Name.Trim()))
            {
                errors[$"tiers[{i}].name"] = ["Another tier of this event has the same name."];
            }

            if (tier.Price is { } price && price != decimal.Round(price, 2))
            {
                errors[$"tiers[{i}].price"] = ["A price has at most two decimals."];
            }

            foreach (var section in tier.Sections)
            {
                if (sections is not null && (section is null || !sections.Contains(section.Trim())))
                {
                    errors[$"tiers[{i}].sections"] = [$"The venue has no section '{section}'."];
                }
                else if (section is not null && !priced.Add(section.Trim()))
                {
                    errors[$"tiers[{i}].sections"] = [$"Section '{section}' is already priced by another tier."];
                }
            }
        }
    }
}

/// <summary>A page of the public event list, filtered.</summary>
internal sealed record ListFilter(int Page, int PageSize, string? City, DateTimeOffset? From, DateTimeOffset? To, string? Text)
{
    /// <summary>How deep the list goes: the last page ends at most this many events in.</summary>
    public const int MaxDepth = 1_000;

    // Free text is escaped, so no two filters share a key.
    public string CacheKey =>
        $"events:{Page}:{PageSize}:{Uri.EscapeDataString(City?.ToLowerInvariant() ?? "")}:{From?.UtcTicks}:{To?.UtcTicks}:{Uri.EscapeDataString(Text ?? "")}";
}
