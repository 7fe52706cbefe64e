using Boxoffice.Postgres;
using Boxoffice.PaymentProvider.Admin;
using Boxoffice.PaymentProvider.Charges;
using Boxoffice.PaymentProvider.Extensions;
using Boxoffice.PaymentProvider.Security;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddPaymentProviderServices();

var app = builder.Build();

// The provider's tables (docs/adr/0004-database-migrations.md).
await app.Services.MigrateDatabaseAsync(app.Lifetime.ApplicationStopping);
app.MapDefaultEndpoints();
// A PSP issues its own API keys: no Boxoffice tokens here, and every route but the probes needs the key.
app.UseMiddleware<ApiKeyMiddleware>();

app.MapChargesApi();
app.MapRefundsApi();
app.MapChaosApi();
app.MapStatsApi();

app.Run();
