using Boxoffice.Catalog.Events;
using Boxoffice.Catalog.Extensions;
using Boxoffice.Catalog.Venues;
using Boxoffice.Postgres;
using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddCatalogServices();

var app = builder.Build();

// The catalog's and the outbox's migrations, then the pool's warm connections, before the first request (Services/Postgres/DatabaseStart.cs).
await app.Services.PrepareDatabaseAsync(app.Lifetime.ApplicationStopping);
app.MapDefaultEndpoints();
app.UseAuthentication();
app.UseAuthorization();
app.MapBoxofficeOpenApi();
if (app.Environment.IsDevelopment())
{
    app.MapScalarApiReference().AllowAnonymous();
}

app.MapEventsApi();
app.MapVenuesApi();
app.MapOrganizerEventsApi();
app.MapMessagingAdmin();

app.Run();
