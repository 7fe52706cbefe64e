using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Boxoffice.Catalog;

/// <summary>Section <c>Catalog:Quotas</c>: how many venues and events one organizer may create within a window.</summary>
internal sealed class OrganizerQuotaOptions
{
    public const string Section = "Catalog:Quotas";

    [Range(1, 100_000)]
    public int VenuesPerWindow { get; set; } = 100;

    [Range(1, 100_000)]
    public int EventsPerWindow { get; set; } = 500;

    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromDays(1);
}

/// <summary>
/// An organizer's creation quota: a leaked organizer token, or a runaway script, cannot fill the
/// catalog (and every buyer's list) with venues and events. Counted in the catalog's own tables,
/// by the database's clock; concurrent creations may pass the count together, so a burst can go a
/// request or two over, never further.
/// </summary>
internal static class OrganizerQuotas
{
    public enum Kind
    {
        Venues,
        Events,
    }

    /// <summary>429 <c>organizer-quota</c>, with Retry-After: when the oldest creation in the window leaves it.</summary>
    public static ProblemHttpResult Refuse(HttpResponse response, string what, int limit, TimeSpan window, TimeSpan wait)
    {
        RetryAfter.Set(response, wait);
        return Problems.Of(ProblemTypes.OrganizerQuota, $"Too many {what} created.",
            $"An organizer may create {limit} {what} within {window.TotalHours:0.##} h; try again after Retry-After.",
            new Dictionary<string, object?> { ["limit"] = limit });
    }

    /// <summary>Null when the organizer may create one more; else how long until the oldest creation in the window leaves it.</summary>
    public static async Task<TimeSpan?> WaitAsync(NpgsqlConnection connection, Kind kind, string organizerId, OrganizerQuotaOptions quota, CancellationToken cancellationToken)
    {
        var (table, limit) = kind == Kind.Venues ? ("venues", quota.VenuesPerWindow) : ("events", quota.EventsPerWindow);
        await using var command = connection.CreateCommand();
        // The limit-th newest creation within the window: while it is in the window, the quota is used up.
        command.CommandText = $"""
            SELECT extract(epoch FROM created_at + $2 - now())::float8 FROM {table}
            WHERE organizer_id = $1 AND created_at > now() - $2
            ORDER BY created_at DESC OFFSET $3 LIMIT 1
            """;
        command.Parameters.Add(new() { Value = organizerId });
        command.Parameters.Add(new() { Value = quota.Window });
        command.Parameters.Add(new() { Value = limit - 1 });
        return await command.ExecuteScalarAsync(cancellationToken) is double seconds
            ? TimeSpan.FromSeconds(Math.Max(1, seconds))
            : null;
    }
}
