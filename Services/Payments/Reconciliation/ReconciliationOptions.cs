using System.ComponentModel.DataAnnotations;

namespace Boxoffice.Payments.Reconciliation;

/// <summary>The reconciliation sweep's settings, under <c>Payments:Reconciliation</c>; validated at start.</summary>
internal sealed class ReconciliationOptions
{
    public const string Section = "Payments:Reconciliation";

    /// <summary>How often a sweep runs (on one replica at a time).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How old a charge must be before a sweep looks at it: longer than the provider takes to
    /// complete a charge and Payments to record it, so that a sweep meets settled charges, not
    /// ones still on their way.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan SettleAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How old a charge with no payment row must be before it is taken for one no order will
    /// claim, and refunded. Longer than any order waits for its charge (its <c>payBy</c>), so an
    /// order still being charged is never mistaken for none.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan UnknownAfter { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Charges asked for per page of <c>GET /charges</c>.</summary>
    [Range(1, 500)]
    public int PageSize { get; set; } = 200;

    /// <summary>The rules the attributes cannot state.</summary>
    public static bool IsConsistent(ReconciliationOptions options) => options.UnknownAfter >= options.SettleAfter;
}
