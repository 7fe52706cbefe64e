using Boxoffice.Contracts;
using Boxoffice.Contracts.Payments;
using Boxoffice.Messaging;
using Boxoffice.Messaging.Inbox;
using Npgsql;

namespace Boxoffice.Booking.Orders;

/// <summary>
/// Payments' results, each handled once (inbox) and applied to its order. The inbox takes them only
/// from <see cref="EventSources.Payments"/>; a result that cannot be about its order (unknown, or
/// another amount or currency) is poison: it is dead-lettered with the reason at once, and the
/// transaction, the inbox record included, rolls back.
/// </summary>
internal sealed class PaymentResultHandler(OrderFulfilment fulfilment) :
    IIntegrationEventHandler<PaymentSucceeded>, IIntegrationEventHandler<PaymentFailed>, IIntegrationEventHandler<PaymentRefunded>
{
    public async Task HandleAsync(CloudEvent<PaymentSucceeded> message, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        Refuse(message, await fulfilment.ConfirmAsync(transaction, message.Data, cancellationToken));

    public async Task HandleAsync(CloudEvent<PaymentFailed> message, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        Refuse(message, await fulfilment.PaymentFailedAsync(transaction, message.Data, cancellationToken));

    public async Task HandleAsync(CloudEvent<PaymentRefunded> message, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        Refuse(message, await fulfilment.RefundedAsync(transaction, message.Data, cancellationToken));

    private static void Refuse<T>(CloudEvent<T> message, PaymentMismatch? mismatch)
        where T : class, IIntegrationEvent
    {
        if (mismatch is not null)
        {
            throw new PoisonMessageException($"The '{message.Type}' event {message.Id} does not match its order: {mismatch.Reason}.");
        }
    }
}
