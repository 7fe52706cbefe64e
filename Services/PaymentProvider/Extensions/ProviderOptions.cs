using System.ComponentModel.DataAnnotations;
using Boxoffice.PaymentProvider.Admin;

namespace Boxoffice.PaymentProvider.Extensions;

/// <summary>The <c>PaymentProvider</c> configuration section.</summary>
internal sealed class ProviderOptions
{
    public const string Section = "PaymentProvider";

    /// <summary>
    /// The one key callers present as <c>Authorization: Bearer</c>. A secret: the AppHost's
    /// <c>payment-provider-api-key</c> parameter, given as <c>PaymentProvider__ApiKey</c>.
    /// </summary>
    [Required]
    public string ApiKey { get; set; } = "";

    /// <summary>
    /// The key the operators' routes (<c>/admin/...</c>) take instead, as a PSP keeps its
    /// dashboard apart from its charging API: a leaked charging key cannot read the totals or turn
    /// on failures. A secret: <c>payment-provider-admin-key</c>, given as <c>PaymentProvider__AdminKey</c>.
    /// </summary>
    [Required]
    public string AdminKey { get; set; } = "";

    /// <summary>
    /// Whether <c>/admin/chaos</c> is mapped at all (off by default: a deployment never has it).
    /// The AppHost turns it on when it runs the app (development, the tests, the flash-sale
    /// harness), never in the published manifest.
    /// </summary>
    public bool ChaosApiEnabled { get; set; }

    /// <summary>The chaos at start (<c>PaymentProvider:Chaos</c>); none when absent. <c>PUT /admin/chaos</c>, when enabled, replaces it.</summary>
    public ChaosSettings? Chaos { get; set; }

    /// <summary>How often charges still processing after their time are completed, when nobody reads them first.</summary>
    [TimeSpanRange("00:00:00.100", "00:10:00")]
    public TimeSpan CompletionSweepInterval { get; set; } = TimeSpan.FromSeconds(5);
}
