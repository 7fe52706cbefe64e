using Boxoffice.Contracts;
using Boxoffice.Postgres;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Boxoffice.Messaging.Inbox;

/// <summary>The event types one inbox consumer handles, each with its handler.</summary>
public sealed class InboxRoutes
{
    internal Dictionary<string, Func<IServiceProvider, ConsumeResult<string, byte[]>, NpgsqlTransaction, CancellationToken, Task>> Handlers { get; } = [];

    internal List<Type> HandlerTypes { get; } = [];

    /// <summary>Events of type <typeparamref name="TEvent"/> go to <typeparamref name="THandler"/>.</summary>
    public InboxRoutes On<TEvent, THandler>()
        where TEvent : class, IIntegrationEvent
        where THandler : class, IIntegrationEventHandler<TEvent>
    {
        HandlerTypes.Add(typeof(THandler));
        Handlers.Add(CloudEvent.Describe(typeof(TEvent)).Type, async (services, result, transaction, cancellationToken) =>
        {
            var message = CloudEvent.Deserialize<TEvent>(result.Message.Value);
            await services.GetRequiredService<THandler>().HandleAsync(message, transaction, cancellationToken);
        });
        return this;
    }
}

/// <summary>
/// The idempotent consumer: records the event's CloudEvents id for this consumer in the inbox and
/// runs the handler in the same transaction. An id already recorded means the event was handled
/// (a redelivery after a crash, or the outbox relaying twice): nothing happens. Event types the
/// consumer does not handle are skipped; a message that is not a readable event is poison.
/// </summary>
internal sealed class InboxDispatcher(string consumer, InboxRoutes routes, NpgsqlDataSource db, IServiceProvider services) : IKafkaMessageHandler
{
    public async Task HandleAsync(ConsumeResult<string, byte[]> message, CancellationToken cancellationToken)
    {
        var (type, id) = CloudEvent.Peek(message.Message.Value);
        if (type is null)
        {
            throw new PoisonMessageException("The message is not a CloudEvents JSON envelope with a type.");
        }

        if (!routes.Handlers.TryGetValue(type, out var handle))
        {
            return;
        }

        if (id is null)
        {
            throw new PoisonMessageException($"The '{type}' event has no id (a UUID): it cannot be de-duplicated.");
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var record = transaction.Command(
            "INSERT INTO inbox (consumer, message_id, type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", consumer, id.Value, type))
        {
            // A concurrent delivery of the same id waits here for the first one's transaction.
            if (await record.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                KafkaTelemetry.Duplicates.Add(1, new KeyValuePair<string, object?>("topic", message.Topic), new KeyValuePair<string, object?>("group", consumer));
                return;
            }
        }

        await handle(services, message, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
