using Boxoffice.PaymentProvider.Admin;

namespace Boxoffice.PaymentProvider.Charges;

/// <summary>What the chaos in force does to one charge, rolled once when it arrives.</summary>
/// <param name="Unavailable">Answer 503 before anything is recorded.</param>
/// <param name="Delay">How long the provider takes once it has started.</param>
/// <param name="Declined">The charge is declined rather than made.</param>
internal sealed record ChargeFate(bool Unavailable, TimeSpan Delay, bool Declined)
{
    /// <summary>Rolls in the order the provider meets them: availability, then delays, then the outcome.</summary>
    public static ChargeFate Roll(ChaosSettings chaos)
    {
        var unavailable = ChaosRules.Happens(chaos.ErrorRate);
        var delayMs = chaos.LatencyMs
            + (ChaosRules.Happens(chaos.SpikeRate) ? chaos.SpikeMs : 0)
            + (ChaosRules.Happens(chaos.TimeoutRate) ? chaos.TimeoutMs : 0);
        var declined = ChaosRules.Happens(chaos.DeclineRate);
        return new ChargeFate(unavailable, TimeSpan.FromMilliseconds(delayMs), declined);
    }
}
