using Boxoffice.Gateway.Extensions;
using Boxoffice.Gateway.RateLimiting;
using Boxoffice.Gateway.Routing;
using Boxoffice.Gateway.Security;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddGatewayServices();

var app = builder.Build();

app.UseSecurityHeaders();
app.UseRequestCorrelation();
app.MapDefaultEndpoints();
app.UseInternalEndpointsHidden();
app.UseCors();
app.UseRequestBodyLimits();
app.UseAuthentication();
app.UseRateLimiter();
app.UseAuthorization();
app.UseOutputCache();
app.MapReverseProxy(proxy => proxy.UseBodyTooLargeAnswer());

app.Run();
