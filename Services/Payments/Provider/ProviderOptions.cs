using System.ComponentModel.DataAnnotations;

namespace Boxoffice.Payments.Provider;

/// <summary>
/// How Payments reaches the payment provider, under <c>Payments:Provider</c>. The resilience
/// settings are tuned for a provider that answers in tens of milliseconds when well: an attempt
/// that takes a second is treated as lost (and retried with the same idempotency key), and when
/// half the calls fail even after their retries the circuit opens, so orders wait on the retry
/// topic instead of piling up timeouts.
/// </summary>
internal sealed class ProviderOptions
{
    /// <summary>The provider's base address: the stand-in by service discovery, or a real provider's URL.</summary>
    [Required]
    public string Url { get; set; } = "https+http://payment-provider";

    /// <summary>The secret API key sent as a bearer token.</summary>
    [Required]
    public string ApiKey { get; set; } = "";

    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(6);

    [Range(0, 10)]
    public int MaxRetries { get; set; } = 3;

    [Range(0.01, 1.0)]
    public double BreakerFailureRatio { get; set; } = 0.5;

    [Range(2, 1000)]
    public int BreakerMinimumThroughput { get; set; } = 8;

    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(10);

    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(5);
}
