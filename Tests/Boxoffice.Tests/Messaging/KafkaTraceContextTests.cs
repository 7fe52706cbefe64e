using System.Diagnostics;
using System.Text;

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
        var kafka = await boxoffice.ConnectionStringAsync("kafka");
        var sent = new Dictionary<string, (ActivityTraceId TraceId, ActivitySpanId SpanId)>();
        using (var test = new KafkaTestPublisher(kafka))
        {
            for (var i = 0; i < 3; i++)
            {
                using var request = new Activity("buyer request").SetIdFormat(ActivityIdFormat.W3C).Start();
                var key = $"order-{Guid.NewGuid():N}";
                await test.Publisher.PublishAsync(BoxofficeApp.TraceTopic, key, Encoding.UTF8.GetBytes($"message {i}"), cancellationToken: TestContext.Current.CancellationToken);
                sent[key] = (request.TraceId, request.SpanId);
            }
        }

        var received = await KafkaPeer.ConsumeAsync(kafka, BoxofficeApp.TraceTopic, sent.Count);

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
