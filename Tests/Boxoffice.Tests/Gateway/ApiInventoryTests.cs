using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Boxoffice.Tests.Gateway;

/// <summary>
/// The API inventory (OWASP API9): every service's OpenAPI document, read through the gateway,
/// against the gateway's route table (Services/Gateway/appsettings.json). Every documented
/// operation is routed, and every route serves something documented; what is routed but
/// described elsewhere is named here with the reason.
/// </summary>
[Collection<RunningApp>]
public sealed partial class ApiInventoryTests(BoxofficeApp boxoffice)
{
    /// <summary>Each service's document, as the gateway serves it; the gateway's own at its root.</summary>
    private static readonly string[] Documents =
    [
        "/api/catalog/openapi/v1.json", "/api/booking/openapi/v1.json", "/api/payments/openapi/v1.json",
        "/api/waiting-room/openapi/v1.json", "/api/identity/openapi/v1.json", "/openapi/v1.json",
    ];

    private static readonly string[] Verbs = ["get", "head", "post", "put", "delete", "patch"];

    [Fact]
    public async Task Every_documented_operation_is_routed_by_the_gateway_and_every_route_serves_something_documented()
    {
        var routes = GatewayRoutes();
        using var gateway = boxoffice.CreateGatewayClient();
        var operations = new List<(string Document, string Method, string Path, bool Secured)>();
        foreach (var address in Documents)
        {
            var document = await gateway.GetFromJsonAsync<JsonElement>(address, TestContext.Current.CancellationToken);
            Assert.StartsWith("3.", document.GetProperty("openapi").GetString());
            Assert.Equal("oauth2", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("oauth2").GetProperty("type").GetString());
            var prefix = new Uri(document.GetProperty("servers")[0].GetProperty("url").GetString()!).AbsolutePath.TrimEnd('/');
            foreach (var path in document.GetProperty("paths").EnumerateObject())
            {
                foreach (var operation in path.Value.EnumerateObject().Where(member => Verbs.Contains(member.Name)))
                {
                    var secured = operation.Value.TryGetProperty("security", out var security) && security.GetArrayLength() > 0;
                    operations.Add((address, operation.Name.ToUpperInvariant(), prefix + path.Name, secured));
                }
            }
        }

        Assert.Contains(operations, operation => operation.Document.Contains("booking", StringComparison.Ordinal));

        // Every documented operation goes to the route the gateway would pick for it (the most
        // specific that matches), and that route asks for a token exactly when the document does.
        var unrouted = new List<string>();
        var chosen = new HashSet<string>();
        foreach (var operation in operations.Where(operation => operation.Document != "/openapi/v1.json"))
        {
            if (Pick(routes, operation.Method, Concrete(operation.Path)) is not { } route)
            {
                unrouted.Add($"{operation.Method} {operation.Path} ({operation.Document}): no route");
                continue;
            }

            chosen.Add(route.Name);
            if (operation.Secured != (route.Policy != "anonymous"))
            {
                unrouted.Add($"{operation.Method} {operation.Path}: the document says {(operation.Secured ? "a token" : "no token")}, route {route.Name} has policy {route.Policy}");
            }
        }

        Assert.True(unrouted.Count == 0, "Documented and routed differently:\n" + string.Join("\n", unrouted));

        // Every route is picked for something documented. The OAuth2 and OpenID Connect endpoints
        // are described by the discovery document, which the identity routes serve; the documents
        // themselves come through their own routes.
        var discovery = await gateway.GetFromJsonAsync<JsonElement>("/.well-known/openid-configuration", TestContext.Current.CancellationToken);
        var protocol = new[] { "authorization_endpoint", "token_endpoint", "revocation_endpoint", "end_session_endpoint", "jwks_uri" }
            .Select(name => ("GET", new Uri(discovery.GetProperty(name).GetString()!).AbsolutePath))
            .Append(("GET", "/.well-known/openid-configuration"))
            .Concat(Documents.Select(address => ("GET", address)));
        foreach (var (method, path) in protocol)
        {
            if (Pick(routes, method, path) is { } route)
            {
                chosen.Add(route.Name);
            }
        }

        // The storefront's pages are HTML for browsers, listed in Services/Storefront/README.md, not
        // operations of an API document; its two routes serve them, and nothing of an API.
        foreach (var (path, route) in new[] { ("/", "storefront-home"), ("/events/some-event", "storefront"), ("/checkout/some-hold", "storefront"), ("/assets/site.css", "storefront") })
        {
            Assert.Equal(route, Pick(routes, "GET", path)?.Name);
            chosen.Add(route);
        }

        Assert.Equal("storefront-queue-join", Pick(routes, "POST", "/events/some-event/queue/join")?.Name);
        chosen.Add("storefront-queue-join");
        Assert.NotEqual("storefront", Pick(routes, "GET", "/api/catalog/events")?.Name);

        // The catalog's fallback route: whatever no catalog route names still needs a token (deny by default).
        chosen.Add("catalog");
        var undocumented = routes.Select(route => route.Name).Where(name => !chosen.Contains(name)).ToList();
        Assert.True(undocumented.Count == 0, "Routed but documented nowhere: " + string.Join(", ", undocumented));
    }

    /// <summary>The route the gateway picks: of those that match, the one with the fewest catch-alls, then parameters, then the most literal segments.</summary>
    private static Route? Pick(List<Route> routes, string method, string path) =>
        routes.Where(route => route.Serves(method, path))
            .OrderBy(route => route.CatchAlls).ThenBy(route => route.Parameters).ThenByDescending(route => route.Literals)
            .FirstOrDefault();

    [Fact]
    public async Task Each_operation_says_the_scope_its_route_needs_and_public_ones_need_none()
    {
        using var gateway = boxoffice.CreateGatewayClient();
        var booking = await gateway.GetFromJsonAsync<JsonElement>("/api/booking/openapi/v1.json", TestContext.Current.CancellationToken);

        Assert.Equal(["booking"], Scopes(booking, "/events/{id}/holds", "post") ?? []);
        Assert.Equal(["checkin"], Scopes(booking, "/tickets/check-in", "post") ?? []);
        Assert.Equal(["operations"], Scopes(booking, "/admin/messaging/parked", "get") ?? []);
        Assert.Null(Scopes(booking, "/events/{id}/availability", "get"));
        Assert.Null(Scopes(booking, "/tickets/signing-key", "get"));
        var flows = booking.GetProperty("components").GetProperty("securitySchemes").GetProperty("oauth2").GetProperty("flows");
        Assert.EndsWith("/connect/token", flows.GetProperty("clientCredentials").GetProperty("tokenUrl").GetString());
        Assert.EndsWith("/connect/authorize", flows.GetProperty("authorizationCode").GetProperty("authorizationUrl").GetString());
    }

    /// <summary>The scopes an operation's security names; null for an operation anyone may call.</summary>
    private static string[]? Scopes(JsonElement document, string path, string method)
    {
        var operation = document.GetProperty("paths").GetProperty(path).GetProperty(method);
        return operation.TryGetProperty("security", out var security) && security.GetArrayLength() > 0
            ? [.. security[0].GetProperty("oauth2").EnumerateArray().Select(scope => scope.GetString()!)]
            : null;
    }

    /// <summary>A path template with each parameter as a plain value, as a request would have it.</summary>
    private static string Concrete(string template) => Parameter().Replace(template, "1");

    private sealed record Route(string Name, Regex Path, string[]? Methods, string Policy, int CatchAlls, int Parameters, int Literals)
    {
        public bool Serves(string method, string path) =>
            Path.IsMatch(path) && (Methods is null || Methods.Contains(method, StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>The gateway's routes, their YARP path patterns as regular expressions.</summary>
    private static List<Route> GatewayRoutes()
    {
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Root, "Services", "Gateway", "appsettings.json")));
        var routes = new List<Route>();
        foreach (var route in settings.RootElement.GetProperty("ReverseProxy").GetProperty("Routes").EnumerateObject())
        {
            var match = route.Value.GetProperty("Match");
            var segments = match.GetProperty("Path").GetString()!.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var pattern = "/" + string.Join("/", segments.Select(segment => segment switch
            {
                _ when segment.StartsWith("{**", StringComparison.Ordinal) => "\u0000",
                _ when RegexParameter().Match(segment) is { Success: true } constrained => constrained.Groups[1].Value.TrimStart('^').TrimEnd('$'),
                _ when segment.StartsWith('{') => "[^/]+",
                _ => Regex.Escape(segment),
            })).Replace("/\u0000", "(?:/.*)?", StringComparison.Ordinal); // a catch-all matches nothing too, and its slash with it
            var methods = match.TryGetProperty("Methods", out var listed) ? listed.EnumerateArray().Select(method => method.GetString()!).ToArray() : null;
            var catchAlls = segments.Count(segment => segment.StartsWith("{**", StringComparison.Ordinal));
            var parameters = segments.Count(segment => segment.StartsWith('{')) - catchAlls;
            var policy = route.Value.TryGetProperty("AuthorizationPolicy", out var named) ? named.GetString()! : "default";
            routes.Add(new Route(route.Name, new Regex($"^{pattern}$", RegexOptions.IgnoreCase), methods, policy, catchAlls, parameters, segments.Length - catchAlls - parameters));
        }

        return routes;
    }

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex Parameter();

    [GeneratedRegex(@"^\{[^:}]+:regex\((.+)\)\}$")]
    private static partial Regex RegexParameter();
}
