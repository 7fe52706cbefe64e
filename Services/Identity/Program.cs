using Boxoffice.Identity.Account;
using Boxoffice.Identity.Connect;
using Boxoffice.Identity.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddIdentityServices();

var app = builder.Build();

await app.Services.PrepareIdentityAsync(app.Lifetime.ApplicationStopping);
app.MapDefaultEndpoints();
app.UseHostAllowList();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();
app.MapConnectApi();
app.MapAccountApi();

app.Run();
