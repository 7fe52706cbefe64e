using System.Net;
using IPNetwork = System.Net.IPNetwork;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Whom a service believes when a request says who the client is (<c>X-Forwarded-For</c>) and how
/// it came (<c>X-Forwarded-Proto</c>): only a proxy in <c>ForwardedHeaders:KnownNetworks</c>, one
/// hop. The address feeds rate-limit buckets and sign-in throttles, so a header from anyone else is
/// ignored and the connection's own address counts. ASP.NET Core's
/// <c>ASPNETCORE_FORWARDEDHEADERS_ENABLED=true</c>, which Aspire sets on every project it
/// publishes, believes everyone; this replaces that list.
/// </summary>
public static class ForwardedHeadersTrust
{
    public const string Setting = "ForwardedHeaders:KnownNetworks";

    /// <summary>
    /// The networks of <paramref name="setting"/>, a comma-separated list of CIDR ranges
    /// (<c>10.0.0.0/8, fd00::/8</c>): absent, the loopback (a proxy on the same machine); <c>none</c>,
    /// nobody (the service is the edge).
    /// </summary>
    public static IReadOnlyList<IPNetwork> Parse(string? setting)
    {
        if (setting is null)
        {
            return [IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128")];
        }

        if (setting.Trim() is "none")
        {
            return [];
        }

        var networks = new List<IPNetwork>();
        foreach (var range in setting.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            networks.Add(IPNetwork.TryParse(range, out var network)
                ? network
                : throw new InvalidOperationException($"{Setting}: '{range}' is not a CIDR range such as 10.0.0.0/8; give a comma-separated list, or 'none'."));
        }

        return networks.Count > 0 ? networks : throw new InvalidOperationException($"{Setting} is empty: give CIDR ranges, or 'none' to believe no proxy.");
    }

    /// <summary>Read once at start, so a wrong range stops the service before it takes a request.</summary>
    internal static void AddForwardedHeadersTrust(this IServiceCollection services, IConfiguration configuration)
    {
        var networks = Parse(configuration[Setting]);
        // After every Configure, the environment variable's "believe everyone" included.
        services.PostConfigure<ForwardedHeadersOptions>(options =>
        {
            // Empty lists would not mean "nobody": the middleware then believes every sender.
            // Believing nobody is reading no forwarded header at all.
            options.ForwardedHeaders = networks.Count == 0 ? ForwardedHeaders.None : ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            options.ForwardLimit = 1;
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var network in networks)
            {
                options.KnownIPNetworks.Add(network);
            }
        });
    }
}
