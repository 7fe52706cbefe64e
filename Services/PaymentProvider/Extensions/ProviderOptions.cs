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

    /// <summary>The chaos at start (<c>PaymentProvider:Chaos</c>); none when absent. <c>PUT /admin/chaos</c> replaces it.</summary>
    public ChaosSettings? Chaos { get; set; }

    /// <summary>How often charges still processing after their time are completed, when nobody reads them first.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan CompletionSweepInterval { get; set; } = TimeSpan.FromSeconds(5);
}
