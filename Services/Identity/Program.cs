using Boxoffice.Identity.Account;
using Boxoffice.Identity.Connect;
using Boxoffice.Identity.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddIdentityServices();
builder.AddBoxofficeOpenApi("Boxoffice identity", "Buyer registration. The OAuth2 and OpenID Connect endpoints are described by the discovery document, /.well-known/openid-configuration.", "", publicUrl: builder.Configuration["Identity:Issuer"]);

var app = builder.Build();

await app.Services.PrepareIdentityAsync(app.Lifetime.ApplicationStopping);
app.MapDefaultEndpoints();
app.UseHostAllowList();
app.UseNulFreeParameters();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();
app.MapBoxofficeOpenApi();
app.MapConnectApi();
app.MapAccountApi();

app.Run();
