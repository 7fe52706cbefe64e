using Boxoffice.Gateway.Extensions;
using Boxoffice.Gateway.RateLimiting;
using Boxoffice.Gateway.Routing;
using Boxoffice.Gateway.Security;
using Boxoffice.Gateway.WaitingRoom;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddManagementPort();
builder.AddGatewayServices();
builder.AddBoxofficeOpenApi("Boxoffice gateway", "What the gateway answers itself: a waiting buyer's queue status, polled or streamed (Server-Sent Events). Every other route is proxied to a service, whose document describes it.", "");

var app = builder.Build();

app.UseSecurityHeaders();
app.UseRequestCorrelation();
app.UseRouteMetrics();
app.MapDefaultEndpoints();
app.UseManagementPort();
app.UseInternalEndpointsHidden();
app.UseCors();
app.UseRequestBodyLimits();
app.UseAuthentication();
// Authorization first: a missing or bad token is always 401 and spends no caller's tokens
// (validation already ran in authentication, so refusing it costs nothing more).
app.UseAuthorization();
app.UseRateLimiter();
app.UseOutputCache();
// Its own document is rate limited like every route it proxies.
app.MapBoxofficeOpenApi().RequireRateLimiting(RateLimitingExtensions.Standard);
app.MapQueueStatus();
app.MapReverseProxy(proxy => proxy.UseAdmissionCheck().UseBodyTooLargeAnswer());

app.Run();
