using System.Text;
using Boxoffice.Contracts;
using Confluent.Kafka;

namespace Boxoffice.Tests.Messaging;

/// <summary>A message no handler can take is parked on the dead-letter topic, and the partition moves on.</summary>
[Collection<RunningApp>]
public sealed class DeadLetterTests(BoxofficeApp boxoffice)
{
    [Fact]
    public async Task A_poison_message_goes_to_the_dead_letter_topic_with_its_reason_and_the_next_message_is_handled()
    {
        var kafka = await boxoffice.ConnectionStringAsync("kafka");
        var poison = $"poison-{Guid.NewGuid():N}";
        var healthy = $"healthy-{Guid.NewGuid():N}";
        using (var test = new KafkaTestPublisher(kafka))
        {
            // Same key, same partition: the healthy message waits behind the poison one.
            await test.Publisher.PublishAsync(BoxofficeApp.PoisonTopic, poison, Encoding.UTF8.GetBytes("poison"), cancellationToken: TestContext.Current.CancellationToken);
            await test.Publisher.PublishAsync(BoxofficeApp.PoisonTopic, poison, Encoding.UTF8.GetBytes(healthy), cancellationToken: TestContext.Current.CancellationToken);
        }

        var received = await KafkaPeer.ConsumeAsync(kafka, BoxofficeApp.PoisonTopic, count: 1);

        Assert.Equal(healthy, received[poison].GetProperty("value").GetString());
        var parked = ReadOne(kafka, Topics.DeadLetter(BoxofficeApp.PoisonTopic), poison);
        Assert.Equal("poison", Encoding.UTF8.GetString(parked.Message.Value));
        Assert.Contains("InvalidDataException", Header(parked, "boxoffice-dlq-reason"));
        Assert.StartsWith(BoxofficeApp.PoisonTopic + "/", Header(parked, "boxoffice-dlq-source"));
    }

    private static ConsumeResult<string, byte[]> ReadOne(string kafka, string topic, string key)
    {
        using var consumer = KafkaTestReader.From(kafka, topic);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(500));
            if (result?.Message?.Key == key)
            {
                return result;
            }
        }

        throw new Xunit.Sdk.XunitException($"No message with key {key} arrived on {topic} within 30 s.");
    }

    private static string Header(ConsumeResult<string, byte[]> result, string name) =>
        Encoding.UTF8.GetString(result.Message.Headers.GetLastBytes(name));
}
