using System.ComponentModel.DataAnnotations;
using Boxoffice.Booking.Holds;
using Boxoffice.Messaging.Retention;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Boxoffice.Booking.Extensions;

/// <summary>How long booking keeps what only serves a while, under <c>Booking:Retention</c>.</summary>
internal sealed class BookingRetentionOptions
{
    public const string Section = "Booking:Retention";

    /// <summary>
    /// How long an Idempotency-Key is honoured. Clients retry within seconds or minutes (a hold
    /// lasts <c>HoldDuration</c>, 10 minutes); a key sent again after this is a new request.
    /// </summary>
    [Range(typeof(TimeSpan), "01:00:00", "365.00:00:00")]
    public TimeSpan IdempotencyKeys { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a hold that ended without an order (released, expired) is kept after its time ran out.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "3650.00:00:00")]
    public TimeSpan Holds { get; set; } = TimeSpan.FromDays(7);
}

/// <summary>Deletes <c>idempotency_keys</c> rows older than <see cref="BookingRetentionOptions.IdempotencyKeys"/>.</summary>
internal sealed class IdempotencyKeysRetention(IOptions<BookingRetentionOptions> options) : IRetentionRule
{
    public string Table => "idempotency_keys";

    public TimeSpan Keep => options.Value.IdempotencyKeys;

    public Task<int> PurgeAsync(NpgsqlTransaction transaction, DateTimeOffset before, int limit, CancellationToken cancellationToken) =>
        IdempotencyStore.PurgeAsync(transaction, before, limit, cancellationToken);
}

/// <summary>Deletes holds that ended without an order longer than <see cref="BookingRetentionOptions.Holds"/> ago.</summary>
internal sealed class EndedHoldsRetention(IOptions<BookingRetentionOptions> options) : IRetentionRule
{
    public string Table => "holds";

    public TimeSpan Keep => options.Value.Holds;

    public Task<int> PurgeAsync(NpgsqlTransaction transaction, DateTimeOffset before, int limit, CancellationToken cancellationToken) =>
        HoldStore.PurgeEndedAsync(transaction, before, limit, cancellationToken);
}
