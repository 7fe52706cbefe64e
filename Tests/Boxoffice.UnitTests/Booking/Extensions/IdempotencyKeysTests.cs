using Boxoffice.Booking;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Boxoffice.UnitTests.Booking.Extensions;

/// <summary>The <c>Idempotency-Key</c> header as a client sends it: absent, usable, or refused with one reason.</summary>
public sealed class IdempotencyKeysTests
{
    private const string Refused = "Idempotency-Key must be one value of 1 to 200 visible ASCII characters.";

    [Fact]
    public void No_header_is_no_key_and_no_error()
    {
        Assert.Equal((null, null), IdempotencyKeys.Read(new DefaultHttpContext().Request));
    }

    [Theory]
    [InlineData("k")]
    [InlineData("0199a3c4-5b6d-7e8f-9012-3456789abcde")]
    [InlineData("!~{}\"'<>?")]
    public void A_visible_ascii_key_is_read(string key)
    {
        Assert.Equal((key, null), IdempotencyKeys.Read(RequestWith(key)));
    }

    [Fact]
    public void A_key_of_200_characters_is_read()
    {
        var key = new string('k', 200);

        Assert.Equal((key, null), IdempotencyKeys.Read(RequestWith(key)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("with space")]
    [InlineData("tab\there")]
    [InlineData("caf\u00e9")]
    [InlineData("nul\0")]
    [InlineData("del\u007f")]
    public void A_key_with_nothing_or_with_an_invisible_or_non_ascii_character_is_refused(string key)
    {
        Assert.Equal((null, Refused), IdempotencyKeys.Read(RequestWith(key)));
    }

    [Fact]
    public void A_key_of_201_characters_is_refused()
    {
        Assert.Equal((null, Refused), IdempotencyKeys.Read(RequestWith(new string('k', 201))));
    }

    [Fact]
    public void Two_values_are_refused_even_when_each_is_valid()
    {
        Assert.Equal((null, Refused), IdempotencyKeys.Read(RequestWith(new StringValues(["first", "second"]))));
    }

    private static HttpRequest RequestWith(StringValues value)
    {
        var request = new DefaultHttpContext().Request;
        request.Headers[IdempotencyKeys.Header] = value;
        return request;
    }
}
