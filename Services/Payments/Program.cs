using Boxoffice.Postgres;
using Boxoffice.Payments.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddPaymentsServices();

var app = builder.Build();

// Payments', the outbox's and the inbox's migrations (docs/adr/0004-database-migrations.md).
await app.Services.MigrateDatabaseAsync(app.Lifetime.ApplicationStopping);
app.MapDefaultEndpoints();
app.UseAuthentication();
app.UseAuthorization();
app.MapMessagingAdmin();

app.Run();
