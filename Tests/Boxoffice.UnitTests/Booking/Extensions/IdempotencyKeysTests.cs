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

    [Fact]
    public void A_bound_key_carries_a_fingerprint_of_the_route_and_the_request()
    {
        var first = Bound("POST", "/events/1/holds", "k", new { quantity = 2 });

        Assert.Equal("k", first.Key);
        Assert.Equal(first.Fingerprint, Bound("POST", "/events/1/holds", "k", new { quantity = 2 }).Fingerprint);
        Assert.NotEqual(first.Fingerprint, Bound("POST", "/events/1/holds", "k", new { quantity = 3 }).Fingerprint);
        Assert.NotEqual(first.Fingerprint, Bound("POST", "/events/2/holds", "k", new { quantity = 2 }).Fingerprint);
    }

    [Fact]
    public void Binding_without_a_key_gives_neither_a_key_nor_errors()
    {
        Assert.Equal((null, null), IdempotencyKeys.Bind(new DefaultHttpContext().Request, new { quantity = 2 }));
    }

    [Fact]
    public void Binding_an_unusable_key_gives_the_error_under_the_header_name()
    {
        var (request, errors) = IdempotencyKeys.Bind(RequestWith(""), new { quantity = 2 });

        Assert.Null(request);
        Assert.Equal([Refused], Assert.Contains(IdempotencyKeys.Header, errors!));
    }

    private static IdempotentRequest Bound<T>(string method, string path, string key, T body)
    {
        var request = RequestWith(key);
        request.Method = method;
        request.Path = path;
        var (bound, errors) = IdempotencyKeys.Bind(request, body);
        Assert.Null(errors);
        return bound!;
    }

    private static HttpRequest RequestWith(StringValues value)
    {
        var request = new DefaultHttpContext().Request;
        request.Headers[IdempotencyKeys.Header] = value;
        return request;
    }
}
