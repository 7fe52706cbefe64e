using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Boxoffice.UnitTests.ServiceDefaults;

/// <summary>
/// Where a request to a URL a user gave (a webhook) may go (docs/security.md, API7). The client
/// tests aim a guarded HttpClient at a real listener on this machine: the guard must refuse before
/// a connection exists, so the listener never has one to accept.
/// </summary>
public sealed class OutboundAddressGuardTests
{
    private const string Webhooks = "webhooks";

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.255.255.254")]
    [InlineData("::1")]
    [InlineData("0.0.0.0")]
    [InlineData("0.1.2.3")]
    [InlineData("::")]
    [InlineData("10.0.0.1")]
    [InlineData("10.255.255.255")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("fc00::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("fd00:ec2::254")] // AWS's metadata over IPv6
    [InlineData("169.254.169.254")] // AWS, Azure, GCP and OCI metadata
    [InlineData("169.254.0.1")]
    [InlineData("fe80::1")]
    [InlineData("febf:ffff::1")]
    [InlineData("fe80::1%2")]
    [InlineData("100.64.0.1")]
    [InlineData("100.100.100.200")] // Alibaba Cloud's metadata
    [InlineData("100.127.255.255")]
    [InlineData("224.0.0.1")]
    [InlineData("239.255.255.250")]
    [InlineData("255.255.255.255")]
    [InlineData("240.0.0.1")]
    [InlineData("198.18.0.1")]
    [InlineData("198.19.255.255")]
    [InlineData("192.0.0.8")]
    [InlineData("192.0.2.1")]
    [InlineData("198.51.100.1")]
    [InlineData("203.0.113.7")]
    [InlineData("192.88.99.1")]
    [InlineData("168.63.129.16")] // Azure's wire server
    [InlineData("ff02::1")]
    [InlineData("ff05::1:3")]
    [InlineData("fec0::1")]
    [InlineData("100::1")]
    [InlineData("2001:db8::1")]
    [InlineData("3fff::1")]
    [InlineData("2001::1")] // Teredo
    [InlineData("5f00::1")]
    public void Loopback_private_link_local_metadata_and_reserved_addresses_are_forbidden(string address) =>
        Assert.True(OutboundAddressGuard.IsForbidden(IPAddress.Parse(address)));

    [Theory]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("::127.0.0.1")] // IPv4-compatible, withdrawn: refused whatever it carries
    [InlineData("::8.8.8.8")]
    [InlineData("::ffff:0:127.0.0.1")]
    [InlineData("64:ff9b::127.0.0.1")] // NAT64
    [InlineData("64:ff9b::169.254.169.254")]
    [InlineData("64:ff9b::192.168.1.1")]
    [InlineData("64:ff9b:1::8.8.8.8")] // NAT64 for local use
    [InlineData("2002:7f00:1::")] // 6to4 of 127.0.0.1
    [InlineData("2002:a9fe:a9fe::1")] // 6to4 of 169.254.169.254
    [InlineData("2002:c0a8:101::")] // 6to4 of 192.168.1.1
    [InlineData("2002:a00:1::1")] // 6to4 of 10.0.0.1
    public void An_IPv6_address_carrying_a_forbidden_IPv4_address_is_forbidden_as_that_address_is(string address) =>
        Assert.True(OutboundAddressGuard.IsForbidden(IPAddress.Parse(address)));

    [Theory]
    [InlineData("93.184.215.14")]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("11.0.0.1")]
    [InlineData("172.15.255.255")]
    [InlineData("172.32.0.0")]
    [InlineData("100.63.255.255")]
    [InlineData("100.128.0.0")]
    [InlineData("169.253.255.255")]
    [InlineData("198.17.255.255")]
    [InlineData("198.20.0.0")]
    [InlineData("223.255.255.255")]
    [InlineData("168.63.129.17")]
    [InlineData("2606:4700::1111")]
    [InlineData("2001:4860:4860::8888")]
    [InlineData("2a00:1450:4001:80b::200e")]
    [InlineData("::ffff:93.184.215.14")]
    [InlineData("64:ff9b::8.8.8.8")] // what DNS64 gives an IPv6-only network for a public name
    [InlineData("2002:808:808::1")] // 6to4 of 8.8.8.8
    public void Public_addresses_are_allowed_also_when_an_IPv6_address_carries_them(string address) =>
        Assert.False(OutboundAddressGuard.IsForbidden(IPAddress.Parse(address)));

    [Theory]
    [InlineData("https://hooks.example.com/boxoffice")]
    [InlineData("https://example.com:443/")]
    [InlineData("https://Hooks.Example.COM./fully-qualified")]
    [InlineData("https://hooks.example.com/a?notify=ops@example.com")]
    [InlineData("https://93.184.215.14/")]
    [InlineData("https://[2606:4700::1111]/")]
    [InlineData("https://xn--bcher-kva.example/")]
    public void An_https_url_of_a_public_host_on_443_is_allowed(string url) =>
        Assert.Null(OutboundAddressGuard.WhyRefused(new Uri(url)));

    [Theory]
    [InlineData("http://hooks.example.com/")]
    [InlineData("ftp://hooks.example.com/")]
    [InlineData("file:///etc/passwd")]
    [InlineData("gopher://hooks.example.com/")]
    [InlineData("ws://hooks.example.com/")]
    [InlineData("https://user:secret@hooks.example.com/")]
    [InlineData("https://hooks.example.com@evil.example/")]
    [InlineData("https://hooks.example.com:8443/")]
    [InlineData("https://hooks.example.com:22/")]
    [InlineData("https://hooks.example.com:80/")]
    [InlineData("https://localhost/")]
    [InlineData("https://LOCALHOST./")]
    [InlineData("https://api.localhost/")]
    [InlineData("https://metadata.google.internal/computeMetadata/v1/")]
    [InlineData("https://metadata.goog/")]
    [InlineData("https://anything.internal/")]
    [InlineData("https://printer.local/")]
    [InlineData("https://router.home.arpa/")]
    [InlineData("https://db.localdomain/")]
    [InlineData("https://catalog/")] // a service discovery name
    [InlineData("https://metadata/")]
    [InlineData("https://127.0.0.1/")]
    [InlineData("https://127.0.0.1./")] // a "name" to Uri, 127.0.0.1 to a resolver
    [InlineData("https://10.0.0.5/")]
    [InlineData("https://169.254.169.254/latest/meta-data/")]
    [InlineData("https://168.63.129.16/")]
    [InlineData("https://0.0.0.0/")]
    [InlineData("https://[::1]/")]
    [InlineData("https://[::]/")]
    [InlineData("https://[::ffff:127.0.0.1]/")]
    [InlineData("https://[::ffff:7f00:1]/")]
    [InlineData("https://[fd00:ec2::254]/")]
    [InlineData("https://[fe80::1%25eth0]/")]
    [InlineData("https://[64:ff9b::a9fe:a9fe]/")]
    [InlineData("https://hooks.example.123/")]
    public void Any_other_url_is_refused_with_a_reason(string url) =>
        Assert.False(string.IsNullOrWhiteSpace(OutboundAddressGuard.WhyRefused(new Uri(url))));

    [Theory]
    [InlineData("http://2130706433/")]
    [InlineData("https://0x7f.1/")]
    [InlineData("https://0177.0.0.1/")]
    [InlineData("https://127.1/")]
    [InlineData("https://0x7f000001/")]
    [InlineData("https://017700000001/")]
    public void Loopback_written_in_decimal_octal_hex_or_short_is_read_as_Uri_reads_it_and_refused(string url)
    {
        var uri = new Uri(url);

        Assert.Equal("127.0.0.1", uri.Host);
        Assert.Contains("127.0.0.1", OutboundAddressGuard.WhyRefused(uri, new OutboundUrlOptions { AllowHttp = true }));
    }

    [Fact]
    public void A_relative_url_is_refused() =>
        Assert.NotNull(OutboundAddressGuard.WhyRefused(new Uri("/hooks", UriKind.Relative)));

    [Fact]
    public void Http_is_allowed_only_when_the_options_say_so_and_then_only_to_public_hosts()
    {
        var options = new OutboundUrlOptions { AllowHttp = true };

        Assert.NotNull(OutboundAddressGuard.WhyRefused(new Uri("http://hooks.example.com/")));
        Assert.Null(OutboundAddressGuard.WhyRefused(new Uri("http://hooks.example.com/"), options));
        Assert.Null(OutboundAddressGuard.WhyRefused(new Uri("https://hooks.example.com/"), options));
        Assert.NotNull(OutboundAddressGuard.WhyRefused(new Uri("http://localhost/"), options));
        Assert.NotNull(OutboundAddressGuard.WhyRefused(new Uri("http://169.254.169.254/"), options));
        Assert.NotNull(OutboundAddressGuard.WhyRefused(new Uri("http://hooks.example.com:8080/"), options));
    }

    [Fact]
    public void Another_port_is_allowed_only_when_listed()
    {
        var options = new OutboundUrlOptions { AllowedPorts = { 8443 } };

        Assert.Null(OutboundAddressGuard.WhyRefused(new Uri("https://hooks.example.com:8443/"), options));
        Assert.NotNull(OutboundAddressGuard.WhyRefused(new Uri("https://hooks.example.com:8444/"), options));
        Assert.NotNull(OutboundAddressGuard.WhyRefused(new Uri("https://localhost:8443/"), options));
    }

    [Fact]
    public void The_guarded_handler_follows_no_redirect_and_uses_no_proxy_nor_cookies()
    {
        using var handler = OutboundAddressGuard.CreateHandler();

        Assert.NotNull(handler.ConnectCallback);
        Assert.False(handler.AllowAutoRedirect);
        Assert.False(handler.UseProxy);
        Assert.False(handler.UseCookies);
        Assert.Equal(OutboundAddressGuard.ConnectWithin, handler.ConnectTimeout);
    }

    [Theory]
    [InlineData("http", "127.0.0.1")]
    [InlineData("https", "127.0.0.1")]
    [InlineData("http", "[::ffff:127.0.0.1]")]
    [InlineData("http", "2130706433")]
    [InlineData("https", "0x7f.1")]
    [InlineData("https", "localhost")]
    [InlineData("http", "0.0.0.0")]
    public async Task A_guarded_client_never_connects_to_a_listener_on_this_machine(string scheme, string host)
    {
        using var listener = Listen(out var port);
        using var services = GuardedServices();
        using var client = GuardedClient(services);

        var error = await Assert.ThrowsAnyAsync<HttpRequestException>(
            () => client.GetAsync(new Uri($"{scheme}://{host}:{port}/"), TestContext.Current.CancellationToken));

        Refusal(error);
        Assert.False(listener.Pending());
    }

    [Fact]
    public void The_listener_sees_a_connection_when_one_is_made_so_the_tests_above_would_see_one_too()
    {
        using var listener = Listen(out var port);
        using var probe = new TcpClient();

        probe.Connect(IPAddress.Loopback, port);

        Assert.True(SpinWait.SpinUntil(listener.Pending, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task A_name_that_resolves_to_loopback_is_refused_at_connect_time_even_when_no_url_check_ran()
    {
        // The URL is never given to WhyRefused: only the connection's own check stands between the
        // client and the listener, as it does when a name judged public later resolves to 127.0.0.1.
        using var listener = Listen(out var port);
        using var services = GuardedServices();
        using var client = GuardedClient(services);

        var error = await Assert.ThrowsAnyAsync<HttpRequestException>(
            () => client.GetAsync(new Uri($"http://localhost:{port}/"), TestContext.Current.CancellationToken));

        var refusal = Refusal(error);
        Assert.Equal("localhost", refusal.Host);
        Assert.NotNull(refusal.Address);
        Assert.True(IPAddress.IsLoopback(refusal.Address));
        // The user who gave the URL may see the message; the address a name has inside is not theirs to learn.
        Assert.Contains("localhost", refusal.Message);
        Assert.DoesNotContain(refusal.Address.ToString(), refusal.Message);
        Assert.False(listener.Pending());
    }

    [Fact]
    public async Task A_name_with_one_public_and_one_loopback_address_is_refused_and_connects_to_neither()
    {
        // A rebinding name answers with both, hoping the check reads the first and the connection uses the second.
        using var listener = Listen(out var port);
        var resolved = new List<string>();
        using var client = new HttpClient(OutboundAddressGuard.CreateHandler((host, _) =>
        {
            resolved.Add(host);
            return Task.FromResult(new[] { IPAddress.Parse("93.184.215.14"), IPAddress.Loopback });
        }))
        {
            Timeout = TimeSpan.FromSeconds(10),
        };

        var error = await Assert.ThrowsAnyAsync<HttpRequestException>(
            () => client.GetAsync(new Uri($"http://rebind.example.com:{port}/"), TestContext.Current.CancellationToken));

        var refusal = Refusal(error);
        Assert.Equal("rebind.example.com", refusal.Host);
        Assert.Equal(IPAddress.Loopback, refusal.Address);
        Assert.Equal("rebind.example.com", Assert.Single(resolved));
        Assert.False(listener.Pending());
    }

    [Fact]
    public async Task A_name_that_resolves_to_no_address_is_refused()
    {
        using var client = new HttpClient(OutboundAddressGuard.CreateHandler((_, _) => Task.FromResult(Array.Empty<IPAddress>())));

        var error = await Assert.ThrowsAnyAsync<HttpRequestException>(
            () => client.GetAsync(new Uri("https://nowhere.example.com/"), TestContext.Current.CancellationToken));

        Assert.Null(Refusal(error).Address);
    }

    [Fact]
    public async Task A_guarded_client_never_asks_for_HTTP_3_whose_QUIC_connections_skip_the_check()
    {
        var receiver = new Recorder();
        var services = new ServiceCollection();
        // The guard's primary handler swapped for one that records what would have been sent.
        services.AddHttpClient(Webhooks).AddOutboundGuard().ConfigurePrimaryHttpMessageHandler(() => receiver);
        using var provider = services.BuildServiceProvider();
        using var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient(Webhooks);
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://hooks.example.com/")
        {
            Version = HttpVersion.Version30,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrHigher,
        };

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpVersion.Version20, receiver.Version);
        Assert.Equal(HttpVersionPolicy.RequestVersionOrLower, receiver.VersionPolicy);
    }

    private static TcpListener Listen(out int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        port = ((IPEndPoint)listener.LocalEndpoint).Port;
        return listener;
    }

    private static ServiceProvider GuardedServices()
    {
        var services = new ServiceCollection();
        services.AddHttpClient(Webhooks).AddOutboundGuard();
        return services.BuildServiceProvider();
    }

    /// <summary>
    /// The client a service would make. Should the guard ever let a request through, the listener
    /// never answers it, and the test fails in seconds rather than after HttpClient's 100.
    /// </summary>
    private static HttpClient GuardedClient(ServiceProvider services)
    {
        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient(Webhooks);
        client.Timeout = TimeSpan.FromSeconds(10);
        return client;
    }

    /// <summary>The guard's refusal, which SocketsHttpHandler hands on inside an HttpRequestException of its own.</summary>
    private static ForbiddenOutboundAddressException Refusal(HttpRequestException error)
    {
        Exception? cause = error;
        while (cause is not null and not ForbiddenOutboundAddressException)
        {
            cause = cause.InnerException;
        }

        return Assert.IsType<ForbiddenOutboundAddressException>(cause);
    }

    private sealed class Recorder : HttpMessageHandler
    {
        public Version? Version { get; private set; }

        public HttpVersionPolicy? VersionPolicy { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Version = request.Version;
            VersionPolicy = request.VersionPolicy;
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NoContent));
        }
    }
}
