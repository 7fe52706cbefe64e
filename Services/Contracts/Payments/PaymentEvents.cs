namespace Boxoffice.Contracts.Payments;

/// <summary>The order was charged: <see cref="ChargeId"/> at the provider, keyed by the order id.</summary>
[IntegrationEvent("boxoffice.payments.payment-succeeded", Topics.Payments)]
public sealed record PaymentSucceeded(Guid OrderId, string ChargeId, decimal Amount, string Currency) : IIntegrationEvent
{
    public string AggregateId => OrderId.ToString();
}

/// <summary>The order could not be charged (declined, or no answer before it was due); nothing was taken.</summary>
[IntegrationEvent("boxoffice.payments.payment-failed", Topics.Payments)]
public sealed record PaymentFailed(Guid OrderId, string Reason) : IIntegrationEvent
{
    public string AggregateId => OrderId.ToString();
}

/// <summary>A charge for an order that was cancelled was returned to the buyer.</summary>
[IntegrationEvent("boxoffice.payments.payment-refunded", Topics.Payments)]
public sealed record PaymentRefunded(Guid OrderId, string ChargeId, string RefundId, decimal Amount, string Currency) : IIntegrationEvent
{
    public string AggregateId => OrderId.ToString();
}
