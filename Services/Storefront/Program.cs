using Boxoffice.Storefront.Actions;
using Boxoffice.Storefront.Components;
using Boxoffice.Storefront.Extensions;
using Boxoffice.Storefront.Session;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddStorefront();

var app = builder.Build();

app.UsePublicAddress();
app.UsePageHeaders();
app.MapDefaultEndpoints();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();

app.MapStaticAssets();
app.MapSessionActions();
app.MapBuyingActions();
app.MapQueueStream();
app.MapRazorComponents<App>();

app.Run();
