using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Boxoffice.Messaging;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// Usage: KafkaPeer TOPIC GROUP COUNT, with ConnectionStrings__kafka set. Prints one JSON line per
// message: its key, value, and the trace and parent span of the consumer's activity; exits after
// COUNT printed messages. A message whose value is "poison" makes the handler throw, every time.
if (args.Length != 3 || !int.TryParse(args[2], out var count) || count < 1)
{
    Console.Error.WriteLine("usage: KafkaPeer TOPIC GROUP COUNT");
    return 2;
}

var builder = Host.CreateApplicationBuilder();
builder.AddServiceDefaults();
builder.Logging.ClearProviders();
builder.Services.AddSingleton(new Remaining(count));
builder.AddKafkaConsumer<PrintingHandler>(args[0], args[1]);

using var host = builder.Build();
await host.RunAsync();
return 0;

internal sealed class Remaining(int count)
{
    private int _count = count;

    public bool Take() => Interlocked.Decrement(ref _count) <= 0;
}

internal sealed class PrintingHandler(Remaining remaining, IHostApplicationLifetime lifetime) : IKafkaMessageHandler
{
    public Task HandleAsync(ConsumeResult<string, byte[]> message, CancellationToken cancellationToken)
    {
        if (Encoding.UTF8.GetString(message.Message.Value) == "poison")
        {
            throw new InvalidDataException($"{message.Message.Key} cannot be handled");
        }

        var activity = Activity.Current;
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            key = message.Message.Key,
            value = Encoding.UTF8.GetString(message.Message.Value),
            traceId = activity?.TraceId.ToString(),
            parentSpanId = activity?.ParentSpanId.ToString(),
            kind = activity?.Kind.ToString(),
            pid = Environment.ProcessId,
        }));
        if (remaining.Take())
        {
            lifetime.StopApplication();
        }

        return Task.CompletedTask;
    }
}
