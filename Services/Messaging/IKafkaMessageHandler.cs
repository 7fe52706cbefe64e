using Confluent.Kafka;

namespace Boxoffice.Messaging;

/// <summary>
/// Handles one message of a subscribed topic. Resolved in a scope of its own per message. The
/// offset is committed only after this returns, so a message is handled at least once: a
/// handler must be idempotent. An integration event's handler gets that from the inbox
/// (<c>AddInboxConsumer</c>, <see cref="Inbox.IIntegrationEventHandler{T}"/>); a handler of this
/// interface has to see to it itself.
/// </summary>
public interface IKafkaMessageHandler
{
    Task HandleAsync(ConsumeResult<string, byte[]> message, CancellationToken cancellationToken);
}
