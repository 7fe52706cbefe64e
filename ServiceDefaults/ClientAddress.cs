using System.Net;
using System.Net.Sockets;

namespace Microsoft.AspNetCore.Http;

/// <summary>
/// What a per-address limit counts under (the gateway's rate limits, identity's throttles): an
/// IPv4 address as it is, an IPv6 address by its /64. One subscriber is given a whole /64 and may
/// take any address in it, so counting single IPv6 addresses would give it a fresh allowance per
/// request.
/// </summary>
public static class ClientAddress
{
    public static string Key(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
