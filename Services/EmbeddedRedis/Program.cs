using System.Runtime.InteropServices;
using Garnet;

// Hosts Garnet, a Redis-protocol server, for the embedded infrastructure mode. The AppHost passes
// the bind address and port as arguments and the password through the environment, so it never
// appears in a process listing.
var arguments = new List<string>(args)
{
    // Lua is on for the rate limiter's and the throttles' scripts. Garnet runs a script without
    // isolation unless told to lock its keys around it: two scripts on the same key interleave
    // and one's write is lost (20,000 concurrent read-then-write scripts on one key counted
    // 17,828), so two gateway replicas could spend a shared token bucket's tokens twice. Redis
    // runs every script atomically; the transaction mode gives the same guarantee for the keys a
    // script names in KEYS.
    "--lua", "true",
    "--lua-transaction-mode", "true",
    "--memory", "256m",
    "--index", "32m",
};
var password = Environment.GetEnvironmentVariable("GARNET_PASSWORD");
if (!string.IsNullOrEmpty(password))
{
    arguments.AddRange(["--auth", "Password", "--password", password]);
}

using var server = new GarnetServer([.. arguments]);
server.Start();
Console.WriteLine($"Garnet is listening ({string.Join(' ', args)}).");

var stopped = new TaskCompletionSource();
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
await stopped.Task;
Console.WriteLine("Garnet is stopping.");
return 0;

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stopped.TrySetResult();
}
