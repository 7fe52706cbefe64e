using Boxoffice.PaymentProvider.Extensions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace Boxoffice.PaymentProvider.Security;

/// <summary>
/// Every request presents a key as <c>Authorization: Bearer &lt;key&gt;</c>, as a real PSP's API
/// asks for its secret key: the API key for charges and refunds, the admin key for
/// <c>/admin/...</c> (neither opens the other's routes). The probes and the scrape (<c>/health</c>,
/// <c>/alive</c>, <c>/metrics</c>, marked anonymous by ServiceDefaults) are the only exceptions.
/// A middleware rather than an endpoint filter: the key is checked before a body is read or
/// validated, and an unknown path answers 401 like any other.
/// </summary>
internal sealed class ApiKeyMiddleware(RequestDelegate next, IOptions<ProviderOptions> options)
{
    private const string Scheme = "Bearer ";

    // Digests, not the keys, are compared (SecretKeys): the time taken tells nothing about the key.
    private readonly byte[] _apiKey = SecretKeys.Digest(options.Value.ApiKey);
    private readonly byte[] _adminKey = SecretKeys.Digest(options.Value.AdminKey);

    public async Task InvokeAsync(HttpContext context)
    {
        var expected = context.Request.Path.StartsWithSegments("/admin", StringComparison.OrdinalIgnoreCase) ? _adminKey : _apiKey;
        if (context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is not null || Presents(context.Request, expected))
        {
            await next(context);
            return;
        }

        // Never log what was presented: a near miss is most of a key.
        context.Response.Headers.WWWAuthenticate = "Bearer";
        await ProviderProblems.InvalidApiKey().ExecuteAsync(context);
    }

    private static bool Presents(HttpRequest request, byte[] expected)
    {
        if (request.Headers.Authorization is not [{ } authorization]
            || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return SecretKeys.Matches(authorization[Scheme.Length..].Trim(), expected);
    }
}
