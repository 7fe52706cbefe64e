using Boxoffice.Postgres;
using Boxoffice.Payments.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddPaymentsServices();
builder.AddBoxofficeOpenApi("Boxoffice payments", "Payments has no public API: operators list and replay its dead letters and parked outbox rows (scope operations).", "/api/payments");

var app = builder.Build();

// Payments', the outbox's and the inbox's migrations, then the pool's warm connections, before the first request (Services/Postgres/DatabaseStart.cs).
await app.Services.PrepareDatabaseAsync(app.Lifetime.ApplicationStopping);
app.MapDefaultEndpoints();
app.UseAuthentication();
app.UseAuthorization();
app.MapBoxofficeOpenApi();
app.MapMessagingAdmin();

app.Run();
