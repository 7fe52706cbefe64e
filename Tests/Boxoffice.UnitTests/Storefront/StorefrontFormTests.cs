using Boxoffice.Storefront.Actions;
using Boxoffice.Storefront.Api;
using Boxoffice.Storefront.Components.Pages;
using Boxoffice.Storefront.Session;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Boxoffice.UnitTests.Storefront;

/// <summary>What the storefront makes of what a browser (or anyone) posts and links to.</summary>
public sealed class StorefrontFormTests
{
    private static FormCollection Form(params (string Name, string[] Values)[] fields) =>
        new(fields.ToDictionary(field => field.Name, field => new StringValues(field.Values)));

    [Fact]
    public void A_tier_and_a_quantity_make_a_hold_of_that_many()
    {
        var tier = Guid.NewGuid();
        var hold = BuyingActions.ParseHold(Form(("tier", [tier.ToString()]), ("quantity", ["3"])));
        Assert.Equal(new HoldRequest(tier, 3, null), hold);
    }

    [Fact]
    public void Seats_are_read_with_their_section_and_row_names_decoded()
    {
        var hold = BuyingActions.ParseHold(Form(("seat", ["Upper%20Circle/A%2F1/7", "Floor//2"])));
        Assert.NotNull(hold);
        Assert.Equal([new SeatChoice("Upper Circle", "A/1", 7), new SeatChoice("Floor", null, 2)], hold.Seats!);
        Assert.Null(hold.TierId);
    }

    [Theory]
    [InlineData("quantity", "0")]
    [InlineData("quantity", "101")]
    [InlineData("quantity", "-1")]
    [InlineData("quantity", "2.5")]
    [InlineData("quantity", "１")]
    [InlineData("quantity", "99999999999999999999")]
    [InlineData("quantity", "")]
    public void A_quantity_out_of_range_or_not_a_whole_number_is_no_hold(string field, string value) =>
        Assert.Null(BuyingActions.ParseHold(Form(("tier", [Guid.NewGuid().ToString()]), (field, [value]))));

    [Theory]
    [InlineData("Stalls/A/0")]
    [InlineData("Stalls/A/-3")]
    [InlineData("Stalls/A/three")]
    [InlineData("Stalls/A")]
    [InlineData("Stalls/A/1/2")]
    [InlineData("/A/1")]
    [InlineData("")]
    public void A_malformed_seat_spoils_the_whole_choice(string seat) =>
        Assert.Null(BuyingActions.ParseHold(Form(("seat", ["Stalls/A/1", seat]))));

    [Fact]
    public void More_than_a_hundred_seats_or_names_too_long_are_no_hold()
    {
        Assert.Null(BuyingActions.ParseHold(Form(("seat", [.. Enumerable.Range(1, 101).Select(n => $"Stalls/A/{n}")]))));
        Assert.Null(BuyingActions.ParseHold(Form(("seat", [$"{new string('x', 201)}/A/1"]))));
        Assert.Null(BuyingActions.ParseHold(Form(("seat", [$"Stalls/{new string('x', 51)}/1"]))));
    }

    [Fact]
    public void Nothing_chosen_or_a_tier_that_is_not_an_id_is_no_hold()
    {
        Assert.Null(BuyingActions.ParseHold(Form()));
        Assert.Null(BuyingActions.ParseHold(Form(("tier", ["not-a-guid"]), ("quantity", ["1"]))));
    }

    [Theory]
    [InlineData("/orders", "/orders")]
    [InlineData("/events/1?x=2", "/events/1?x=2")]
    [InlineData("/", "/")]
    [InlineData("//evil.example/path", "/")]
    [InlineData("/\\evil.example", "/")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("javascript:alert(1)", "/")]
    [InlineData("/\t/evil.example", "/")]
    [InlineData("/\n/evil.example", "/")]
    [InlineData("/orders\r\nSet-Cookie: x=1", "/")]
    [InlineData("", "/")]
    [InlineData(null, "/")]
    public void Only_a_local_path_is_returned_to_after_signing_in_or_out(string? returnUrl, string expected) =>
        Assert.Equal(expected, SessionActions.LocalPath(returnUrl));

    [Theory]
    [InlineData(429, "rate-limited", 30, "Too many requests", "30 seconds")]
    [InlineData(429, null, 300, "Too many requests", "5 minutes")]
    [InlineData(409, "sold-out", null, "Sold out", "Every place")]
    [InlineData(409, "hold-state", null, "Your hold has ended", "Nothing was charged")]
    [InlineData(503, null, null, "Something went wrong", "try again")]
    public void Refusals_read_as_what_they_mean_to_a_buyer(int status, string? name, int? retryAfterSeconds, string heading, string explanation)
    {
        var problem = new ApiProblem(status, name is null ? null : $"https://boxoffice.dev/problems/{name}", "API title", "API detail",
            retryAfterSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null);
        var (shown, text) = ProblemTexts.Describe(problem);
        Assert.Equal(heading, shown);
        Assert.Contains(explanation, text);
    }
}
