using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Boxoffice.Messaging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Boxoffice.Tests.Messaging;

/// <summary>
/// A message published in this process is consumed by another process (the Kafka peer), through
/// the embedded broker, and the consumer's span continues the publisher's trace.
/// </summary>
[Collection<RunningApp>]
public sealed class KafkaTraceContextTests(BoxofficeApp boxoffice)
{
    [Fact]
    public async Task A_consumer_in_another_process_continues_the_publishers_trace()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var kafka = await boxoffice.ConnectionStringAsync("kafka");
        var sent = new Dictionary<string, (ActivityTraceId TraceId, ActivitySpanId SpanId)>();

        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection([new("ConnectionStrings:kafka", kafka)]);
        builder.AddKafkaProducer();
        using (var host = builder.Build())
        {
            var publisher = host.Services.GetRequiredService<KafkaPublisher>();
            for (var i = 0; i < 3; i++)
            {
                using var request = new Activity("buyer request").SetIdFormat(ActivityIdFormat.W3C).Start();
                var key = $"order-{Guid.NewGuid():N}";
                await publisher.PublishAsync(BoxofficeApp.TestTopic, key, Encoding.UTF8.GetBytes($"message {i}"), cancellationToken: cancellationToken);
                sent[key] = (request.TraceId, request.SpanId);
            }
        }

        var peer = await ProcessRunner.RunDotnetAsync(
            Repository.Output(Path.Combine("Tests", "KafkaPeer"), "Boxoffice.Tests.KafkaPeer"),
            [BoxofficeApp.TestTopic, $"tests-{Guid.NewGuid():N}", sent.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            new Dictionary<string, string> { ["ConnectionStrings__kafka"] = kafka, ["DOTNET_ENVIRONMENT"] = "Development" },
            TimeSpan.FromMinutes(1),
            cancellationToken);

        Assert.True(peer.ExitCode == 0, peer.Error);
        var received = peer.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .ToDictionary(line => line.GetProperty("key").GetString()!);
        foreach (var (key, publisher) in sent)
        {
            Assert.True(received.TryGetValue(key, out var message), $"{key} was not consumed");
            Assert.NotEqual(Environment.ProcessId, message.GetProperty("pid").GetInt32());
            Assert.Equal("Consumer", message.GetProperty("kind").GetString());
            Assert.Equal(publisher.TraceId.ToString(), message.GetProperty("traceId").GetString());
            Assert.Equal(publisher.SpanId.ToString(), message.GetProperty("parentSpanId").GetString());
        }
    }
}
