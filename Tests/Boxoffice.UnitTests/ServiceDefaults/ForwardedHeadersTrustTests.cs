using System.Net;
using IPNetwork = System.Net.IPNetwork;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Boxoffice.UnitTests.ServiceDefaults;

/// <summary>
/// Whom a service believes about the client's address (<c>ForwardedHeaders:KnownNetworks</c>). The
/// whole-app proof is <c>JoinLimitTests</c>: a client's own X-Forwarded-For never gives it a fresh
/// rate-limit bucket at the gateway.
/// </summary>
public sealed class ForwardedHeadersTrustTests
{
    [Fact]
    public void Unset_it_believes_a_proxy_on_the_same_machine_only() =>
        Assert.Equal(["127.0.0.0/8", "::1/128"], ForwardedHeadersTrust.Parse(null).Select(network => network.ToString()));

    [Fact]
    public void None_believes_nobody() => Assert.Empty(ForwardedHeadersTrust.Parse(" none "));

    [Fact]
    public void A_list_of_ranges_is_read_whatever_its_spacing() =>
        Assert.Equal(["10.0.0.0/8", "100.64.0.0/10", "fd00::/8"], ForwardedHeadersTrust.Parse("10.0.0.0/8, 100.64.0.0/10 ,fd00::/8,").Select(network => network.ToString()));

    [Theory]
    [InlineData("")]
    [InlineData(" , ")]
    [InlineData("10.0.0.0")]
    [InlineData("everyone")]
    [InlineData("10.0.0.0/8;172.16.0.0/12")]
    public void Anything_else_stops_the_service_and_says_what_is_expected(string setting)
    {
        var error = Assert.Throws<InvalidOperationException>(() => ForwardedHeadersTrust.Parse(setting));
        Assert.Contains(ForwardedHeadersTrust.Setting, error.Message);
    }

    [Fact]
    public void It_replaces_the_believe_everyone_list_of_ASPNETCORE_FORWARDEDHEADERS_ENABLED()
    {
        var options = Options("10.0.0.0/8");

        Assert.Equal(["10.0.0.0/8"], options.KnownIPNetworks.Select(network => network.ToString()));
        Assert.Empty(options.KnownProxies);
        Assert.Equal(1, options.ForwardLimit);
        Assert.Equal(ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto, options.ForwardedHeaders);
    }

    [Fact]
    public void Believing_nobody_reads_no_forwarded_header_since_empty_lists_would_believe_everyone()
    {
        var options = Options("none");

        Assert.Equal(ForwardedHeaders.None, options.ForwardedHeaders);
    }

    private static ForwardedHeadersOptions Options(string setting)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [ForwardedHeadersTrust.Setting] = setting })
            .Build();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Configuration = new ConfigurationManager() });
        builder.Configuration.AddConfiguration(configuration);
        // What ASP.NET Core does for ASPNETCORE_FORWARDEDHEADERS_ENABLED=true: every sender believed.
        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
        });
        builder.AddServiceDefaults();

        using var host = builder.Build();
        return host.Services.GetRequiredService<IOptions<ForwardedHeadersOptions>>().Value;
    }
}
