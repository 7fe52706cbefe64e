using Boxoffice.Contracts;
using Npgsql;

namespace Boxoffice.Messaging.Inbox;

/// <summary>
/// Handles one integration event inside the inbox's transaction: whatever it writes through
/// <paramref name="transaction"/> commits together with the record that the event was handled,
/// so a redelivered event is never handled twice. Events it publishes go through the outbox in
/// the same transaction. Throwing rolls everything back and the event is retried.
/// </summary>
public interface IIntegrationEventHandler<T>
    where T : class, IIntegrationEvent
{
    Task HandleAsync(CloudEvent<T> message, NpgsqlTransaction transaction, CancellationToken cancellationToken);
}
