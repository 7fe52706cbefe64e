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
// The stylesheet, script and icon need no session: no session read (nor token refresh) for them.
app.UseWhen(context => !context.Request.Path.StartsWithSegments("/assets"), pipeline => pipeline.UseAuthentication());
app.UseAuthorization();
app.UseAntiforgery();

app.MapStaticAssets();
app.MapSessionActions();
app.MapBuyingActions();
app.MapQueueStream();
app.MapRazorComponents<App>();

app.Run();
