using System.Net;
using Microsoft.AspNetCore.Http;

namespace Boxoffice.UnitTests.ServiceDefaults;

/// <summary>What per-address limits count under, and the Retry-After every refusal carries.</summary>
public sealed class ClientAddressTests
{
    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    [InlineData("::1", "::/64")]
    public void An_IPv4_address_counts_alone_and_an_IPv6_address_by_its_64(string address, string key) =>
        Assert.Equal(key, ClientAddress.Key(IPAddress.Parse(address)));

    [Fact]
    public void Every_address_of_one_IPv6_subscriber_shares_one_allowance() =>
        Assert.Single(Enumerable.Range(1, 50).Select(i => ClientAddress.Key(IPAddress.Parse($"2001:db8:abcd:12::{i:x}:{i * 7:x}"))).Distinct());

    [Fact]
    public void No_address_is_unknown() => Assert.Equal("unknown", ClientAddress.Key(null));

    [Theory]
    [InlineData(0, 1)]
    [InlineData(-5, 1)]
    [InlineData(0.2, 1)]
    [InlineData(1, 1)]
    [InlineData(1.01, 2)]
    [InlineData(3599.5, 3600)]
    public void Retry_after_is_whole_seconds_rounded_up_and_never_zero(double seconds, int header) =>
        Assert.Equal(header, RetryAfter.Seconds(TimeSpan.FromSeconds(seconds)));
}
