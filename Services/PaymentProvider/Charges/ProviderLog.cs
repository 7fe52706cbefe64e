namespace Boxoffice.PaymentProvider.Charges;

/// <summary>What the provider did with money: keys and amounts only, never a reference or a credential.</summary>
internal static partial class ProviderLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Charge {IdempotencyKey} succeeded: {Amount}")]
    public static partial void ChargeSucceeded(ILogger logger, string idempotencyKey, decimal amount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Charge {IdempotencyKey} declined: {Amount}")]
    public static partial void ChargeDeclined(ILogger logger, string idempotencyKey, decimal amount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Charge {IdempotencyKey} was still processing after its time and was completed as {Status}: {Amount}")]
    public static partial void ChargeCompletedLate(ILogger logger, string idempotencyKey, string status, decimal amount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Refund {IdempotencyKey} of charge {ChargeKey}: {Amount}")]
    public static partial void Refunded(ILogger logger, string idempotencyKey, string chargeKey, decimal amount);
}
