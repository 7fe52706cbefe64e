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

// Booking's, the outbox's and the inbox's migrations, then the pool's warm connections, before the first request (Services/Postgres/DatabaseStart.cs).
await app.Services.PrepareDatabaseAsync(app.Lifetime.ApplicationStopping);
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
