using Boxoffice.Catalog.Events;
using Boxoffice.Catalog.Extensions;
using Boxoffice.Catalog.Venues;
using Boxoffice.Postgres;
using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddCatalogServices();

var app = builder.Build();

// The catalog's and the outbox's migrations (docs/adr/0004-database-migrations.md).
await app.Services.MigrateDatabaseAsync(app.Lifetime.ApplicationStopping);
// The pool's warm connections, open before the first request (Services/Postgres/PooledConnections.cs).
await app.Services.WarmDatabaseConnectionsAsync(app.Lifetime.ApplicationStopping);
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
