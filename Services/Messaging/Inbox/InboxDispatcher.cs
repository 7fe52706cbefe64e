using Boxoffice.Contracts;
using Boxoffice.Postgres;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Boxoffice.Messaging.Inbox;

/// <summary>The event types one inbox consumer handles, each with its handler and the one producer it trusts for it.</summary>
public sealed class InboxRoutes
{
    internal Dictionary<string, InboxRoute> Routes { get; } = [];

    internal List<Type> HandlerTypes { get; } = [];

    /// <summary>
    /// Events of type <typeparamref name="TEvent"/> whose CloudEvents <c>source</c> is
    /// <paramref name="from"/> (an <see cref="EventSources"/> constant) go to
    /// <typeparamref name="THandler"/>. From any other source they are dead-lettered unhandled.
    /// </summary>
    public InboxRoutes On<TEvent, THandler>(string from)
        where TEvent : class, IIntegrationEvent
        where THandler : class, IIntegrationEventHandler<TEvent>
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(from);
        HandlerTypes.Add(typeof(THandler));
        Routes.Add(CloudEvent.Describe(typeof(TEvent)).Type, new InboxRoute(from, payload =>
        {
            var message = CloudEvent.Deserialize<TEvent>(payload);
            return new InboxEvent(message.Source,
                (services, transaction, cancellationToken) => services.GetRequiredService<THandler>().HandleAsync(message, transaction, cancellationToken));
        }));
        return this;
    }
}

/// <summary>How one event type is handled: the source it must come from, and how to read it.</summary>
internal sealed record InboxRoute(string TrustedSource, Func<byte[], InboxEvent> Read);

/// <summary>An event read from its envelope: where it says it comes from, and its handler, ready to run in a transaction.</summary>
internal sealed record InboxEvent(string? Source, Func<IServiceProvider, NpgsqlTransaction, CancellationToken, Task> HandleAsync);

/// <summary>
/// The idempotent consumer: records the event's CloudEvents id for this consumer in the inbox and
/// runs the handler in the same transaction. An id already recorded means the event was handled
/// (a redelivery after a crash, or the outbox relaying twice): nothing happens. Event types the
/// consumer does not handle are skipped; a message that is not a readable event, or that comes
/// from another source than its route trusts, is poison and is never recorded.
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

        if (!routes.Routes.TryGetValue(type, out var route))
        {
            return;
        }

        if (id is null)
        {
            throw new PoisonMessageException($"The '{type}' event has no id (a UUID): it cannot be de-duplicated.");
        }

        // Read (JsonException: poison) and check the source before anything is recorded: an event
        // from an untrusted source must not even claim its id in the inbox.
        var received = route.Read(message.Message.Value);
        if (!string.Equals(received.Source, route.TrustedSource, StringComparison.Ordinal))
        {
            throw new PoisonMessageException(
                $"Untrusted source: the '{type}' event {id} has source {ReasonText.Quote(received.Source, 100)}, but {consumer} takes it only from '{route.TrustedSource}'.");
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

        await received.HandleAsync(services, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
