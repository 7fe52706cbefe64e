using Boxoffice.Postgres;
using Boxoffice.WaitingRoom.Admission;
using Boxoffice.WaitingRoom.Extensions;
using Boxoffice.WaitingRoom.Joining;
using Boxoffice.WaitingRoom.Queues;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddWaitingRoomServices();
builder.AddBoxofficeOpenApi("Boxoffice waiting room", "The queue in front of a sale: what it is, the join challenge, joining and claiming an admission. Queue status and its stream are the gateway's (its own document).", "/api/waiting-room");

var app = builder.Build();

// The waiting room's and the inbox's migrations (docs/adr/0004-database-migrations.md).
await app.Services.MigrateDatabaseAsync(app.Lifetime.ApplicationStopping);
// The pool's warm connections, open before the first request (Services/Postgres/PooledConnections.cs).
await app.Services.WarmDatabaseConnectionsAsync(app.Lifetime.ApplicationStopping);
app.MapDefaultEndpoints();
app.UseAuthentication();
app.UseAuthorization();

app.MapBoxofficeOpenApi();
app.MapQueuesApi();
app.MapJoinApi();
app.MapAdmissionApi();

app.Run();
