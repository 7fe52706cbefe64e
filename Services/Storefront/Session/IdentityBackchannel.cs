using Boxoffice.Storefront.Extensions;
using Microsoft.Extensions.Options;

namespace Boxoffice.Storefront.Session;

/// <summary>
/// Sends what the storefront asks the identity server for itself (discovery, keys, tokens) to the
/// identity service inside the environment. The discovery document names every endpoint by the
/// public URL; this handler swaps that prefix for the service's internal address.
/// </summary>
internal sealed class IdentityBackchannel(IOptions<StorefrontOptions> options, IConfiguration configuration) : DelegatingHandler
{
    public const string ClientName = "identity-backchannel";

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var publicUrl = options.Value.PublicUrl.TrimEnd('/');
        var address = request.RequestUri?.AbsoluteUri;
        if (InternalAddress(configuration) is { } inside && address is not null
            && address.StartsWith(publicUrl + "/", StringComparison.OrdinalIgnoreCase))
        {
            request.RequestUri = new Uri(inside.TrimEnd('/') + address[publicUrl.Length..]);
        }

        return base.SendAsync(request, cancellationToken);
    }

    /// <summary>The identity service's address as service discovery gives it (HTTPS preferred); none: use the public URL.</summary>
    private static string? InternalAddress(IConfiguration configuration) =>
        configuration["services:identity:https:0"] ?? configuration["services:identity:http:0"];
}
