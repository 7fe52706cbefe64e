using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Boxoffice.Messaging;

/// <summary>
/// Publishes raw messages to Kafka with the current trace context in their headers. Returns when
/// the broker has acknowledged the message (acks=all, idempotent producer), so a caller that
/// marks something as published only after this returns never loses it.
/// </summary>
public sealed partial class KafkaPublisher(IProducer<string, byte[]> producer, ILogger<KafkaPublisher> logger)
{
    public async Task<TopicPartitionOffset> PublishAsync(
        string topic, string key, byte[] value, Headers? headers = null, CancellationToken cancellationToken = default,
        System.Diagnostics.ActivityContext parent = default)
    {
        using var activity = KafkaTelemetry.StartProduce(topic, parent);
        var message = new Message<string, byte[]> { Key = key, Value = value, Headers = headers ?? [] };
        KafkaTelemetry.InjectContext(activity, message.Headers, parent);
        try
        {
            var result = await producer.ProduceAsync(topic, message, cancellationToken);
            activity?.SetTag("messaging.destination.partition.id", result.Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            activity?.SetTag("messaging.kafka.offset", result.Offset.Value);
            KafkaTelemetry.Produced.Add(1, new KeyValuePair<string, object?>("topic", topic));
            return result.TopicPartitionOffset;
        }
        catch (ProduceException<string, byte[]> exception)
        {
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, exception.Error.Reason);
            KafkaTelemetry.ProduceFailed.Add(1, new KeyValuePair<string, object?>("topic", topic));
            LogProduceFailed(topic, exception.Error.Code, exception.Error.Reason);
            throw;
        }
    }

    /// <summary>
    /// Hands a message to the client without waiting: <paramref name="delivered"/> runs on the
    /// client's delivery thread once the broker acknowledged or refused it. For batches (the
    /// outbox relay), where a task per message would cost more than the message.
    /// </summary>
    public void Produce(
        string topic, string key, byte[] value, Headers headers, System.Diagnostics.ActivityContext parent, Action<DeliveryReport<string, byte[]>> delivered)
    {
        using var activity = KafkaTelemetry.StartProduce(topic, parent);
        var message = new Message<string, byte[]> { Key = key, Value = value, Headers = headers };
        KafkaTelemetry.InjectContext(activity, message.Headers, parent);
        producer.Produce(topic, message, report =>
        {
            if (report.Error.IsError)
            {
                KafkaTelemetry.ProduceFailed.Add(1, new KeyValuePair<string, object?>("topic", topic));
                LogProduceFailed(topic, report.Error.Code, report.Error.Reason);
            }
            else
            {
                KafkaTelemetry.Produced.Add(1, new KeyValuePair<string, object?>("topic", topic));
            }

            delivered(report);
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing to {Topic} failed: {ErrorCode} {Reason}")]
    private partial void LogProduceFailed(string topic, ErrorCode errorCode, string reason);
}
