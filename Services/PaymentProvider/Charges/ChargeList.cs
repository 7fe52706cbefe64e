using System.Globalization;

namespace Boxoffice.PaymentProvider.Charges;

/// <summary>
/// Which charges <c>GET /charges</c> lists: those created in [<see cref="CreatedFrom"/>,
/// <see cref="CreatedBefore"/>) (either end open when absent), in creation order (ties by id), after
/// the charge <see cref="StartingAfter"/>, at most <see cref="Limit"/> of them.
/// </summary>
internal sealed record ChargeListQuery(DateTimeOffset? CreatedFrom, DateTimeOffset? CreatedBefore, Guid? StartingAfter, int Limit)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 500;

    /// <summary>
    /// Reads the query string by hand rather than by binding, so that every malformed parameter
    /// is named in one 400 (a repeated one too) instead of the first failing the bind.
    /// </summary>
    public static (ChargeListQuery? Query, Dictionary<string, string[]> Errors) Parse(IQueryCollection query)
    {
        var errors = new Dictionary<string, string[]>();
        var from = Time(query, "createdFrom", errors);
        var before = Time(query, "createdBefore", errors);
        Guid? after = Single(query, "startingAfter", errors) switch
        {
            null => null,
            var text when Guid.TryParseExact(text, "D", out var id) => id,
            _ => Error<Guid?>(errors, "startingAfter", "The id of a charge of the previous page, such as 0199a6c4-5e2b-7f3a-9c1d-2b4e6f8a0c1e."),
        };
        var limit = Single(query, "limit", errors) switch
        {
            null => DefaultLimit,
            var text when int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is >= 1 and <= MaxLimit => value,
            _ => Error<int>(errors, "limit", $"The page size is a whole number from 1 to {MaxLimit}."),
        };

        if (from >= before)
        {
            errors["createdBefore"] = ["createdBefore must be later than createdFrom."];
        }

        return errors.Count == 0 ? (new ChargeListQuery(from, before, after, limit), errors) : (null, errors);
    }

    /// <summary>An ISO 8601 time (<c>2026-11-28T10:15:00Z</c>); one without an offset is UTC.</summary>
    private static DateTimeOffset? Time(IQueryCollection query, string name, Dictionary<string, string[]> errors) =>
        Single(query, name, errors) switch
        {
            null => null,
            var text when DateTimeOffset.TryParseExact(text, Iso8601, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) => time,
            _ => Error<DateTimeOffset?>(errors, name, "An ISO 8601 time such as 2026-11-28T10:15:00Z."),
        };

    private static readonly string[] Iso8601 =
    [
        "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", "yyyy-MM-dd",
    ];

    /// <summary>The parameter's one value, or null when it is absent; a repeated or empty one is an error.</summary>
    private static string? Single(IQueryCollection query, string name, Dictionary<string, string[]> errors) =>
        query.TryGetValue(name, out var values) switch
        {
            false => null,
            true when values is [{ Length: > 0 } value] => value,
            _ => Error<string?>(errors, name, $"Give {name} once, with a value."),
        };

    private static T Error<T>(Dictionary<string, string[]> errors, string name, string message)
    {
        errors.TryAdd(name, [message]);
        return default!;
    }
}

/// <summary>One page of charges, and whether more follow: ask again with <c>startingAfter</c> set to the last one's id.</summary>
internal sealed record ChargePage(IReadOnlyList<Charge> Data, bool HasMore);
