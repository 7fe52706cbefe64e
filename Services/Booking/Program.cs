using Boxoffice.Booking.Extensions;
using Boxoffice.Booking.Holds;
using Boxoffice.Booking.Inventory;
using Boxoffice.Booking.Orders;
using Boxoffice.Booking.Tickets;
using Boxoffice.Postgres;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddBookingServices();
builder.AddBoxofficeOpenApi("Boxoffice booking", "Holds, orders, tickets and check-in, and availability. Buyers need scope booking, door staff checkin; availability and the ticket signing key are public.", "/api/booking");

var app = builder.Build();

// Booking's, the outbox's and the inbox's migrations (docs/adr/0004-database-migrations.md).
await app.Services.MigrateDatabaseAsync(app.Lifetime.ApplicationStopping);
// The pool's warm connections, open before the first request (Services/Postgres/PooledConnections.cs).
await app.Services.WarmDatabaseConnectionsAsync(app.Lifetime.ApplicationStopping);
app.MapDefaultEndpoints();
app.UseAuthentication();
app.UseAuthorization();

app.MapBoxofficeOpenApi();
app.MapAvailabilityApi();
app.MapHoldsApi();
app.MapOrdersApi();
app.MapTicketsApi();
app.MapMessagingAdmin();

app.Run();
