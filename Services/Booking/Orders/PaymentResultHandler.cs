using Boxoffice.Contracts.Booking;
using Boxoffice.Contracts.Payments;
using Boxoffice.Messaging;
using Boxoffice.Messaging.Inbox;
using Npgsql;

namespace Boxoffice.Booking.Orders;

/// <summary>Payments' results, each handled once (inbox) and applied to its order.</summary>
internal sealed class PaymentResultHandler(OrderFulfilment fulfilment) :
    IIntegrationEventHandler<PaymentSucceeded>, IIntegrationEventHandler<PaymentFailed>, IIntegrationEventHandler<PaymentRefunded>
{
    public Task HandleAsync(CloudEvent<PaymentSucceeded> message, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        fulfilment.ConfirmAsync(transaction, message.Data.OrderId, message.Data.ChargeId, cancellationToken);

    public Task HandleAsync(CloudEvent<PaymentFailed> message, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        fulfilment.CancelAsync(transaction, message.Data.OrderId, OrderCancellationReason.PaymentFailed, cancellationToken);

    public Task HandleAsync(CloudEvent<PaymentRefunded> message, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        fulfilment.RefundedAsync(transaction, message.Data.OrderId, cancellationToken);
}
