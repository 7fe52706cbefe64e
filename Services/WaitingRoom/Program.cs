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

// The waiting room's and the inbox's migrations, then the pool's warm connections, before the first request (Services/Postgres/DatabaseStart.cs).
await app.Services.PrepareDatabaseAsync(app.Lifetime.ApplicationStopping);
app.MapDefaultEndpoints();
app.UseAuthentication();
app.UseAuthorization();

app.MapBoxofficeOpenApi();
app.MapQueuesApi();
app.MapJoinApi();
app.MapAdmissionApi();

app.Run();
