using Confluent.Kafka;

namespace Boxoffice.Messaging;

/// <summary>
/// Handles one message of a subscribed topic. Resolved in a scope of its own per message. The
/// offset is committed only after this returns, so a message is handled at least once: a
/// handler must be idempotent (the inbox of a later issue makes that systematic).
/// </summary>
public interface IKafkaMessageHandler
{
    Task HandleAsync(ConsumeResult<string, byte[]> message, CancellationToken cancellationToken);
}
