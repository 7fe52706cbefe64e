using System.Net;
using System.Net.Sockets;
using IPNetwork = System.Net.IPNetwork;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Where a request to a URL that a user gave (a webhook) may go (OWASP API7, SSRF): only to a public
/// address, over https, on the scheme's port. <see cref="WhyRefused"/> judges the URL when it is
/// registered, so the user is told at once. <see cref="AddOutboundGuard"/> makes an HttpClient judge
/// every address it connects to, and that is the check that counts: a name that resolved to a public
/// address when the URL was registered may resolve to 127.0.0.1 a second later (DNS rebinding). So
/// the name is resolved once, as the connection is made, and the socket connects to the very
/// addresses judged.
/// </summary>
public static class OutboundAddressGuard
{
    /// <summary>How long a guarded client tries to connect: a webhook's receiver that takes longer is down.</summary>
    public static readonly TimeSpan ConnectWithin = TimeSpan.FromSeconds(5);

    // IANA's special-purpose IPv4 registry (RFC 6890 and later): none of these is a webhook's
    // receiver, and several are where the platform keeps its secrets.
    private static readonly IPNetwork[] ForbiddenV4 =
    [
        IPNetwork.Parse("0.0.0.0/8"),        // "this network": 0.0.0.0 reaches the local host on Linux
        IPNetwork.Parse("10.0.0.0/8"),       // private
        IPNetwork.Parse("100.64.0.0/10"),    // carrier-grade NAT; Alibaba Cloud's metadata is 100.100.100.200
        IPNetwork.Parse("127.0.0.0/8"),      // loopback
        IPNetwork.Parse("169.254.0.0/16"),   // link-local: the AWS, Azure, GCP and OCI metadata at 169.254.169.254
        IPNetwork.Parse("172.16.0.0/12"),    // private
        IPNetwork.Parse("192.0.0.0/24"),     // IETF protocol assignments
        IPNetwork.Parse("192.0.2.0/24"),     // documentation
        IPNetwork.Parse("192.88.99.0/24"),   // 6to4 relay anycast, withdrawn
        IPNetwork.Parse("192.168.0.0/16"),   // private
        IPNetwork.Parse("198.18.0.0/15"),    // benchmarking
        IPNetwork.Parse("198.51.100.0/24"),  // documentation
        IPNetwork.Parse("203.0.113.0/24"),   // documentation
        IPNetwork.Parse("224.0.0.0/4"),      // multicast
        IPNetwork.Parse("240.0.0.0/4"),      // reserved, with the broadcast 255.255.255.255
        IPNetwork.Parse("168.63.129.16/32"), // Azure's wire server: public-looking, yet answers only the VM it runs on
    ];

    // Every public IPv6 address is global unicast. Outside it: :: and ::1, the IPv4-compatible
    // ::/96 (withdrawn in 2006, so refused whatever it carries), fc00::/7 (unique local, AWS's
    // metadata at fd00:ec2::254), fe80::/10 (link-local), fec0::/10 (site-local), ff00::/8
    // (multicast), 100::/64 (discard).
    private static readonly IPNetwork GlobalUnicastV6 = IPNetwork.Parse("2000::/3");

    // Inside it, yet not global.
    private static readonly IPNetwork[] ForbiddenGlobalV6 =
    [
        IPNetwork.Parse("2001::/23"),     // IETF protocol assignments, Teredo's 2001::/32 among them
        IPNetwork.Parse("2001:db8::/32"), // documentation
        IPNetwork.Parse("3fff::/20"),     // documentation
    ];

    // IPv6 addresses that reach the IPv4 address they carry, so judged as it: a NAT64 gateway or
    // 6to4 relay would forward 64:ff9b::127.0.0.1 or 2002:7f00:1:: to a loopback or private network.
    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    // Names that never belong to a public receiver. Refused by name for a clear answer when the URL
    // is registered; they resolve to loopback, private or link-local addresses, which the connection
    // refuses anyway.
    private static readonly string[] LocalDomains = ["localhost", "local", "localdomain", "internal", "home.arpa"];
    private static readonly string[] MetadataNames = ["metadata.google.internal", "metadata.goog"];

    /// <summary>
    /// Whether a request to a URL a user gave may not connect to <paramref name="address"/>: any
    /// loopback, unspecified, private, link-local (cloud metadata), shared, multicast, broadcast,
    /// documentation, benchmarking or reserved address, in either family, also when an IPv6 address
    /// carries it (<c>::ffff:127.0.0.1</c>, NAT64, 6to4).
    /// </summary>
    public static bool IsForbidden(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);

        if (address.IsIPv4MappedToIPv6)
        {
            return IsForbidden(address.MapToIPv4());
        }

        switch (address.AddressFamily)
        {
            case AddressFamily.InterNetwork:
                return Array.Exists(ForbiddenV4, network => network.Contains(address));
            case AddressFamily.InterNetworkV6:
                if (Nat64.Contains(address))
                {
                    return IsForbidden(CarriedIPv4(address, offset: 12));
                }

                if (SixToFour.Contains(address))
                {
                    return IsForbidden(CarriedIPv4(address, offset: 2));
                }

                // A zone (fe80::1%eth0) names a link, and only link-local addresses need one.
                return address.ScopeId != 0
                    || !GlobalUnicastV6.Contains(address)
                    || Array.Exists(ForbiddenGlobalV6, network => network.Contains(address));
            default:
                return true;
        }
    }

    /// <summary>
    /// Why a request may not be sent to <paramref name="url"/>, a URL a user gave; null when it may.
    /// Only https on port 443 (http on 80 with <see cref="OutboundUrlOptions.AllowHttp"/>, other
    /// ports when listed), no user name or password, and a public host: no forbidden address, no
    /// single-label name (<c>https://catalog</c> would be found by service discovery or a search
    /// domain), no <c>localhost</c>, <c>.local</c>, <c>.internal</c> or metadata name. Judge the
    /// <see cref="Uri"/> that will be sent, not the text it was made from: .NET reads
    /// <c>http://2130706433/</c> and <c>https://0x7f.1/</c> as 127.0.0.1, and the check has to see
    /// what the client will.
    /// </summary>
    public static string? WhyRefused(Uri url, OutboundUrlOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(url);

        if (!url.IsAbsoluteUri)
        {
            return "The URL must be absolute, such as https://hooks.example.com/boxoffice.";
        }

        var httpAllowed = options?.AllowHttp == true;
        if (url.Scheme != Uri.UriSchemeHttps && !(httpAllowed && url.Scheme == Uri.UriSchemeHttp))
        {
            return httpAllowed ? "The URL must use https or http." : "The URL must use https.";
        }

        // A user name and password would be sent to whoever the host turns out to be, and
        // https://trusted.example@evil.example/ reads as one host and goes to another.
        if (url.UserInfo.Length > 0)
        {
            return "The URL must not carry a user name or password.";
        }

        // Other ports are other protocols (SMTP, Redis, SSH) that a crafted request may speak to.
        if (!url.IsDefaultPort && options?.AllowedPorts.Contains(url.Port) != true)
        {
            return $"The URL must use the port of its scheme ({(url.Scheme == Uri.UriSchemeHttps ? 443 : 80)}).";
        }

        // The name as it is resolved (punycode), without the trailing dot of a fully qualified name:
        // "localhost." and "127.0.0.1." are localhost and 127.0.0.1 to a resolver.
        var host = url.IdnHost.TrimEnd('.');
        if (host.Contains('%') || url.HostNameType is not (UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6))
        {
            return "The URL's host must be a public name or address.";
        }

        if (IPAddress.TryParse(host, out var address))
        {
            return IsForbidden(address)
                ? $"The URL's address {host} is not public (loopback, private, link-local, metadata or reserved)."
                : null;
        }

        return IsLocalName(host)
            ? $"The URL's host '{host}' is a local or internal name; give the public name of the receiving server."
            : null;
    }

    /// <summary>
    /// The ConnectCallback of a guarded <see cref="SocketsHttpHandler"/>: resolves the host once,
    /// refuses with <see cref="ForbiddenOutboundAddressException"/> if any address it resolves to
    /// is forbidden (a name with one public and one private address would let the connection pick
    /// the private one), and otherwise connects to those same addresses.
    /// </summary>
    /// <param name="resolve">The resolver; the system's (<see cref="Dns.GetHostAddressesAsync(string, CancellationToken)"/>) unless a test gives another.</param>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> ConnectCallback(
        Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
    {
        resolve ??= Dns.GetHostAddressesAsync;
        return (context, cancel) => ConnectAsync(context.DnsEndPoint, resolve, cancel);
    }

    /// <summary>
    /// The primary handler of a guarded client, for one made without the factory too. No redirect
    /// is followed: its Location is a URL the receiver chose, which no one judged; a guarded
    /// client's caller treats a 3xx as the answer. No proxy: through one, the callback would judge
    /// the proxy's address and the proxy would resolve the target. No cookies: what one receiver
    /// sets must not go back with a later delivery.
    /// </summary>
    public static SocketsHttpHandler CreateHandler(Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null) => new()
    {
        ConnectCallback = ConnectCallback(resolve),
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        ConnectTimeout = ConnectWithin,
    };

    /// <summary>
    /// Makes the named client one that sends requests to URLs users gave: its primary handler is
    /// <see cref="CreateHandler"/>, and it never speaks HTTP/3. Judge each URL with
    /// <see cref="WhyRefused"/> too, for the scheme, port and names that the connection does not see.
    /// </summary>
    public static IHttpClientBuilder AddOutboundGuard(this IHttpClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        builder.ConfigurePrimaryHttpMessageHandler(() => CreateHandler());
        // Innermost, after the handlers every client gets, so it sees each attempt as it is sent.
        builder.AddHttpMessageHandler(() => new NoHttp3Handler());
        return builder;
    }

    private static async ValueTask<Stream> ConnectAsync(
        DnsEndPoint endPoint, Func<string, CancellationToken, Task<IPAddress[]>> resolve, CancellationToken cancel)
    {
        // SocketsHttpHandler gives an IPv6 literal with its brackets ([::1]), which a resolver would not read.
        IPAddress[] addresses = IPAddress.TryParse(endPoint.Host, out var literal)
            ? [literal]
            : await resolve(endPoint.Host, cancel);

        if (addresses.Length == 0)
        {
            throw new ForbiddenOutboundAddressException(endPoint.Host, address: null);
        }

        foreach (var address in addresses)
        {
            if (IsForbidden(address))
            {
                throw new ForbiddenOutboundAddressException(endPoint.Host, address);
            }
        }

        // Dual-mode where the machine has IPv6, as SocketsHttpHandler's own sockets are.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endPoint.Port, cancel);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static IPAddress CarriedIPv4(IPAddress address, int offset) =>
        new(address.GetAddressBytes().AsSpan(offset, 4));

    private static bool IsLocalName(string host)
    {
        // One label: a service discovery name (catalog), a search-domain name, localhost, metadata.
        var lastDot = host.LastIndexOf('.');
        if (lastDot < 0)
        {
            return true;
        }

        // No top-level domain begins with a digit; a resolver may read such a name as an address
        // in a form IPAddress does not (inet_aton's).
        var topLevel = host[(lastDot + 1)..];
        if (topLevel.Length == 0 || !char.IsAsciiLetter(topLevel[0]))
        {
            return true;
        }

        return Array.Exists(MetadataNames, name => host.Equals(name, StringComparison.OrdinalIgnoreCase))
            || Array.Exists(LocalDomains, domain =>
                host.Equals(domain, StringComparison.OrdinalIgnoreCase)
                || host.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// HTTP/3 runs over QUIC, whose connections SocketsHttpHandler makes without the
    /// ConnectCallback; a request allowed to use it (asked for, or upgraded through an Alt-Svc
    /// header the receiver sends) would reach an address no one judged. So at most HTTP/2.
    /// </summary>
    private sealed class NoHttp3Handler : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            AtMostHttp2(request);
            return base.SendAsync(request, cancellationToken);
        }

        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            AtMostHttp2(request);
            return base.Send(request, cancellationToken);
        }

        private static void AtMostHttp2(HttpRequestMessage request)
        {
            if (request.Version >= HttpVersion.Version30)
            {
                request.Version = HttpVersion.Version20;
            }

            if (request.VersionPolicy == HttpVersionPolicy.RequestVersionOrHigher)
            {
                request.VersionPolicy = HttpVersionPolicy.RequestVersionOrLower;
            }
        }
    }
}

/// <summary>What <see cref="OutboundAddressGuard.WhyRefused"/> allows besides https on port 443.</summary>
public sealed class OutboundUrlOptions
{
    /// <summary>Plain http on port 80 too: its body and any secret in it travel readable by anyone on the way.</summary>
    public bool AllowHttp { get; set; }

    /// <summary>Ports allowed besides the scheme's own.</summary>
    public ISet<int> AllowedPorts { get; } = new HashSet<int>();
}

/// <summary>
/// A guarded client refused to connect: the host resolves to a forbidden address, or to none.
/// SocketsHttpHandler wraps it in an <see cref="HttpRequestException"/> of its own, as its
/// <see cref="Exception.InnerException"/>. The message names the host only, never the address, so
/// it may be shown to the user who gave the URL without mapping the internal network for them.
/// </summary>
public sealed class ForbiddenOutboundAddressException(string host, IPAddress? address)
    : HttpRequestException(
        HttpRequestError.ConnectionError,
        address is null
            ? $"Refused to connect to '{host}': it resolves to no address."
            : $"Refused to connect to '{host}': it resolves to an address that is not public (loopback, private, link-local, metadata or reserved).")
{
    public string Host { get; } = host;

    /// <summary>The address refused, for the operator's log; null when the host resolved to none.</summary>
    public IPAddress? Address { get; } = address;
}
