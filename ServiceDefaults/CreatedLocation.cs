namespace Microsoft.AspNetCore.Http;

public static class CreatedLocationExtensions
{
    /// <summary>
    /// Where a resource created by a POST to a collection lives, relative to the request's URL, so
    /// it is right both on the service's own address and through the gateway's /api/{service}
    /// prefix (which the service never sees): POST .../venues gives "venues/{id}", resolved beside it.
    /// </summary>
    public static string CreatedLocation(this HttpRequest request, Guid id)
    {
        var path = request.Path.Value ?? "";
        return path.EndsWith('/') ? id.ToString() : $"{path[(path.LastIndexOf('/') + 1)..]}/{id}";
    }
}
