using Boxoffice.Postgres;
using Boxoffice.PaymentProvider.Admin;
using Boxoffice.PaymentProvider.Charges;
using Boxoffice.PaymentProvider.Extensions;
using Boxoffice.PaymentProvider.Security;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddPaymentProviderServices();

var app = builder.Build();

// The provider's tables, then the pool's warm connections, before the first request (Services/Postgres/DatabaseStart.cs).
await app.Services.PrepareDatabaseAsync(app.Lifetime.ApplicationStopping);
app.MapDefaultEndpoints();
// A PSP issues its own API keys: no Boxoffice tokens here, and every route but the probes needs a
// key: the API key for charges and refunds, the admin key for /admin/....
app.UseMiddleware<ApiKeyMiddleware>();

app.MapChargesApi();
app.MapRefundsApi();
if (app.Services.GetRequiredService<IOptions<ProviderOptions>>().Value.ChaosApiEnabled)
{
    // Tests, demos and drills only: a deployment's provider never fails on request.
    app.MapChaosApi();
}

app.MapStatsApi();

app.Run();
