using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Yarp.ReverseProxy.Configuration;

// Usage: Boxoffice.Bench.Upstream --urls http://127.0.0.1:PORT [--BodyBytes 512]
//   GET /constant                          a constant JSON body of BodyBytes bytes
//   GET /.well-known/openid-configuration  discovery document naming this process as the issuer
//   GET /.well-known/jwks                  the public half of a key generated at start
//   GET /token?sub=...&scope=...&role=...  an access token signed with that key (one hour)
// A stand-in for the identity server, so a gateway benchmark measures the gateway, not sign-in.
//
// Or: Boxoffice.Bench.Upstream --urls http://127.0.0.1:PORT --ProxyTo http://127.0.0.1:UPSTREAM
//   bare YARP: every request forwarded to ProxyTo with YARP's defaults and nothing else (no
//   authentication, rate limiting, headers, telemetry or logs), the reference the gateway's
//   target is set against, measured on the same machine in the same run.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
if (builder.Configuration["ProxyTo"] is { Length: > 0 } proxyTo)
{
    builder.Services.AddReverseProxy().LoadFromMemory(
        [new RouteConfig { RouteId = "all", ClusterId = "upstream", Match = new RouteMatch { Path = "/{**rest}" } }],
        [new ClusterConfig { ClusterId = "upstream", Destinations = new Dictionary<string, DestinationConfig> { ["upstream"] = new() { Address = proxyTo } } }]);
    var proxy = builder.Build();
    proxy.MapReverseProxy();
    proxy.Run();
    return;
}

var app = builder.Build();

var bodyBytes = app.Configuration.GetValue("BodyBytes", 512);
var body = System.Text.Encoding.UTF8.GetBytes($"{{\"padding\":\"{new string('x', Math.Max(0, bodyBytes - 14))}\"}}");
var rsa = RSA.Create(2048);
var key = new RsaSecurityKey(rsa) { KeyId = "bench" };
var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(false)) { KeyId = "bench" });

string Issuer(HttpRequest request) => $"{request.Scheme}://{request.Host}/";

app.MapGet("/constant", () => Results.Bytes(body, "application/json"));
app.MapGet("/.well-known/openid-configuration", (HttpRequest request) => Results.Json(new Dictionary<string, object>
{
    ["issuer"] = Issuer(request),
    ["jwks_uri"] = Issuer(request) + ".well-known/jwks",
    ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
}));
app.MapGet("/.well-known/jwks", () => Results.Json(new { keys = new[] { new { kid = jwk.Kid, kty = jwk.Kty, use = "sig", alg = "RS256", n = jwk.N, e = jwk.E } } }));
app.MapGet("/token", (HttpRequest request, string sub, string scope, string role) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
{
    Issuer = Issuer(request),
    Audience = "boxoffice-api",
    Expires = DateTime.UtcNow.AddHours(1),
    Claims = new Dictionary<string, object> { ["sub"] = sub, ["scope"] = scope, ["role"] = new[] { role } },
    TokenType = "at+jwt",
    SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
}));

app.Run();
