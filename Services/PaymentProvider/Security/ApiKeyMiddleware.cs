using System.Security.Cryptography;
using System.Text;
using Boxoffice.PaymentProvider.Extensions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace Boxoffice.PaymentProvider.Security;

/// <summary>
/// Every request presents the provider's API key as <c>Authorization: Bearer &lt;key&gt;</c>, as a
/// real PSP's API asks for its secret key; the probes and the scrape (<c>/health</c>,
/// <c>/alive</c>, <c>/metrics</c>, marked anonymous by ServiceDefaults) are the only exceptions.
/// A middleware rather than an endpoint filter: the key is checked before a body is read or
/// validated, and an unknown path answers 401 like any other.
/// </summary>
internal sealed class ApiKeyMiddleware(RequestDelegate next, IOptions<ProviderOptions> options)
{
    private const string Scheme = "Bearer ";

    // Digests, not the keys, are compared: equal lengths, so the time taken tells nothing about the key.
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.ApiKey));

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is not null || Presents(context.Request))
        {
            await next(context);
            return;
        }

        // Never log what was presented: a near miss is most of a key.
        context.Response.Headers.WWWAuthenticate = "Bearer";
        await ProviderProblems.InvalidApiKey().ExecuteAsync(context);
    }

    private bool Presents(HttpRequest request)
    {
        if (request.Headers.Authorization is not [{ } authorization]
            || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(authorization[Scheme.Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(presented, _expected);
    }
}
