using System.Security.Claims;
using Boxoffice.Identity.Connect;

namespace Boxoffice.UnitTests.Identity;

/// <summary>A refresh token's generation is read only from a plain positive number; anything else is no generation at all.</summary>
public sealed class RefreshFamiliesTests
{
    [Theory]
    [InlineData("1", 1)]
    [InlineData("42", 42)]
    [InlineData("2147483647", int.MaxValue)]
    public void A_positive_number_is_a_generation(string value, int expected) =>
        Assert.Equal(expected, RefreshFamilies.Generation(Principal(value)));

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("1.0")]
    [InlineData("0x10")]
    [InlineData("2147483648")]
    [InlineData("")]
    [InlineData("one")]
    public void Anything_else_is_none(string value) =>
        Assert.Null(RefreshFamilies.Generation(Principal(value)));

    [Fact]
    public void No_claim_or_no_principal_is_none()
    {
        Assert.Null(RefreshFamilies.Generation(new ClaimsPrincipal(new ClaimsIdentity("test"))));
        Assert.Null(RefreshFamilies.Generation(null));
    }

    private static ClaimsPrincipal Principal(string generation) =>
        new(new ClaimsIdentity([new Claim(RefreshFamilies.GenerationClaim, generation)], "test"));
}
