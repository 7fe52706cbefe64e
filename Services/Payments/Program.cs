using Boxoffice.Postgres;
using Boxoffice.Payments.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddPaymentsServices();
builder.AddBoxofficeOpenApi("Boxoffice payments", "Payments has no public API: operators list and replay its dead letters and parked outbox rows (scope operations).", "/api/payments");

var app = builder.Build();

// Payments', the outbox's and the inbox's migrations (docs/adr/0004-database-migrations.md).
await app.Services.MigrateDatabaseAsync(app.Lifetime.ApplicationStopping);
// The pool's warm connections, open before the first request (Services/Postgres/PooledConnections.cs).
await app.Services.WarmDatabaseConnectionsAsync(app.Lifetime.ApplicationStopping);
app.MapDefaultEndpoints();
app.UseAuthentication();
app.UseAuthorization();
app.MapBoxofficeOpenApi();
app.MapMessagingAdmin();

app.Run();
