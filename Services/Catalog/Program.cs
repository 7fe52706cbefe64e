using Boxoffice.Catalog.Events;
using Boxoffice.Catalog.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddCatalogServices();

var app = builder.Build();

await app.Services.EnsureCatalogSchemaAsync(app.Lifetime.ApplicationStopping);
app.MapDefaultEndpoints();
app.UseAuthentication();
app.UseAuthorization();
app.MapEventsApi();
app.MapOrganizerEventsApi();

app.Run();
