using System.ComponentModel.DataAnnotations;
using Boxoffice.Booking.Extensions;

namespace Boxoffice.UnitTests.Booking.Extensions;

/// <summary><see cref="BookingRetentionOptions"/>: how long booking honours an Idempotency-Key and keeps an ended hold.</summary>
public sealed class BookingRetentionTests
{
    [Fact]
    public void Keys_are_honoured_for_a_day_and_ended_holds_kept_for_a_week()
    {
        var options = new BookingRetentionOptions();

        Assert.Equal((TimeSpan.FromHours(24), TimeSpan.FromDays(7)), (options.IdempotencyKeys, options.Holds));
        Assert.Empty(Errors(options));
    }

    [Fact]
    public void Neither_is_kept_less_than_an_hour()
    {
        var options = new BookingRetentionOptions { IdempotencyKeys = TimeSpan.FromMinutes(10), Holds = TimeSpan.Zero };

        Assert.Equal(["Holds", "IdempotencyKeys"], Errors(options));
    }

    private static List<string> Errors(object options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return [.. results.SelectMany(result => result.MemberNames).Order(StringComparer.Ordinal)];
    }
}
