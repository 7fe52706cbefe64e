using Boxoffice.PaymentProvider.Charges;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Boxoffice.UnitTests.PaymentProvider;

/// <summary>The query of <c>GET /charges</c>: a window of creation times, a page size of 1 to 500, and the last id of the previous page.</summary>
public sealed class ChargeListQueryTests
{
    private static (ChargeListQuery? Query, Dictionary<string, string[]> Errors) Parse(params (string Name, string[] Values)[] parameters) =>
        ChargeListQuery.Parse(new QueryCollection(parameters.ToDictionary(parameter => parameter.Name, parameter => new StringValues(parameter.Values))));

    [Fact]
    public void Nothing_asked_lists_everything_a_hundred_at_a_time()
    {
        Assert.Equal(new ChargeListQuery(null, null, null, ChargeListQuery.DefaultLimit), Parse().Query);
    }

    [Fact]
    public void A_window_a_page_size_and_a_starting_point_are_read()
    {
        var after = Guid.Parse("0199a6c4-5e2b-7f3a-9c1d-2b4e6f8a0c1e");

        var (query, errors) = Parse(("createdFrom", ["2026-11-28T10:15:00.123456Z"]), ("createdBefore", ["2026-11-28T12:15:00+01:00"]), ("limit", ["500"]), ("startingAfter", [after.ToString()]));

        Assert.Empty(errors);
        Assert.Equal(new ChargeListQuery(
            new DateTimeOffset(2026, 11, 28, 10, 15, 0, TimeSpan.Zero).AddTicks(1_234_560), new DateTimeOffset(2026, 11, 28, 11, 15, 0, TimeSpan.Zero), after, 500), query);
        Assert.Equal(TimeSpan.Zero, query!.CreatedBefore!.Value.Offset);
    }

    [Fact]
    public void A_time_without_an_offset_is_utc()
    {
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.Zero), Parse(("createdFrom", ["2026-11-28"])).Query!.CreatedFrom);
    }

    [Theory]
    [InlineData("limit", "0")]
    [InlineData("limit", "501")]
    [InlineData("limit", "-1")]
    [InlineData("limit", "+5")]
    [InlineData("limit", "1e2")]
    [InlineData("limit", "99999999999999999999")]
    [InlineData("limit", "ten")]
    [InlineData("limit", "")]
    [InlineData("createdFrom", "yesterday")]
    [InlineData("createdFrom", "28/11/2026")]
    [InlineData("createdFrom", "2026-13-01T00:00:00Z")]
    [InlineData("createdFrom", "0001-01-01T00:00:00+14:00")]
    [InlineData("createdBefore", "2026-11-28T10:15:00Z\u0000")]
    [InlineData("startingAfter", "ch_1")]
    [InlineData("startingAfter", "0199a6c45e2b7f3a9c1d2b4e6f8a0c1e")]
    public void A_malformed_parameter_is_named(string name, string value)
    {
        var (query, errors) = Parse((name, [value]));

        Assert.Null(query);
        Assert.Equal([name], errors.Keys);
    }

    [Fact]
    public void A_repeated_parameter_is_refused()
    {
        var (query, errors) = Parse(("limit", ["1", "2"]), ("createdFrom", ["2026-11-28", "2026-11-29"]));

        Assert.Null(query);
        Errors.AssertEqual(errors, ("limit", "Give limit once, with a value."), ("createdFrom", "Give createdFrom once, with a value."));
    }

    [Fact]
    public void An_empty_or_backward_window_is_refused()
    {
        Errors.AssertEqual(Parse(("createdFrom", ["2026-11-28T10:00:00Z"]), ("createdBefore", ["2026-11-28T10:00:00Z"])).Errors,
            ("createdBefore", "createdBefore must be later than createdFrom."));
        Errors.AssertEqual(Parse(("createdFrom", ["2026-11-29"]), ("createdBefore", ["2026-11-28"])).Errors,
            ("createdBefore", "createdBefore must be later than createdFrom."));
    }
}
