using System.ComponentModel.DataAnnotations;
using Boxoffice.PaymentProvider.Extensions;
using Microsoft.Extensions.Options;

namespace Boxoffice.PaymentProvider.Admin;

/// <summary>
/// The misbehaviour the provider is told to show, so that Payments can be tested against a PSP
/// that fails, declines and answers late. Rates are probabilities (0..1) rolled per request;
/// delays are milliseconds. All zero: a perfect provider.
/// </summary>
/// <remarks>
/// Public: it is the body of <c>PUT /admin/chaos</c>, and .NET's validation generator skips
/// attributes on non-public types. The defaults let configuration and JSON leave fields out.
/// </remarks>
/// <param name="ErrorRate">Answer 503 without recording or charging anything.</param>
/// <param name="TimeoutRate">Add <paramref name="TimeoutMs"/>: the provider answers after a client would have given up, but still charges.</param>
/// <param name="TimeoutMs">The delay a timeout adds.</param>
/// <param name="SpikeRate">Add <paramref name="SpikeMs"/>: a latency spike.</param>
/// <param name="SpikeMs">The delay a spike adds.</param>
/// <param name="LatencyMs">Added to every charge.</param>
/// <param name="DeclineRate">Decline the charge (402) instead of making it.</param>
public sealed record ChaosSettings(
    [Range(0.0, 1.0)] double ErrorRate = 0,
    [Range(0.0, 1.0)] double TimeoutRate = 0,
    [Range(0, ChaosRules.MaxDelayMs)] int TimeoutMs = 0,
    [Range(0.0, 1.0)] double SpikeRate = 0,
    [Range(0, ChaosRules.MaxDelayMs)] int SpikeMs = 0,
    [Range(0, ChaosRules.MaxDelayMs)] int LatencyMs = 0,
    [Range(0.0, 1.0)] double DeclineRate = 0);

internal static class ChaosRules
{
    public const int MaxDelayMs = 60_000;

    /// <summary>
    /// The same limits as the attributes, for the settings read from configuration at start,
    /// which the request validation never sees.
    /// </summary>
    public static Dictionary<string, string[]> Check(ChaosSettings settings)
    {
        var errors = new Dictionary<string, string[]>();
        Rate(errors, "errorRate", settings.ErrorRate);
        Rate(errors, "timeoutRate", settings.TimeoutRate);
        Rate(errors, "spikeRate", settings.SpikeRate);
        Rate(errors, "declineRate", settings.DeclineRate);
        Delay(errors, "timeoutMs", settings.TimeoutMs);
        Delay(errors, "spikeMs", settings.SpikeMs);
        Delay(errors, "latencyMs", settings.LatencyMs);
        return errors;
    }

    /// <summary>True with the given probability; a rate of 0 never happens, 1 always does.</summary>
    public static bool Happens(double rate) => Random.Shared.NextDouble() < rate;

    private static void Rate(Dictionary<string, string[]> errors, string field, double value)
    {
        // Written so that NaN fails too.
        if (!(value >= 0 && value <= 1))
        {
            errors[field] = ["A rate is between 0 and 1."];
        }
    }

    private static void Delay(Dictionary<string, string[]> errors, string field, int value)
    {
        if (value is < 0 or > MaxDelayMs)
        {
            errors[field] = [$"A delay is between 0 and {MaxDelayMs} ms."];
        }
    }
}

/// <summary>
/// The chaos in force, shared by every request of this process. The settings are an immutable
/// record swapped whole, so a request sees either the old settings or the new, never a mix.
/// </summary>
/// <remarks>Per process: with several replicas, each one's settings are set through its own address.</remarks>
internal sealed class ChaosState(IOptions<ProviderOptions> options)
{
    private ChaosSettings _current = options.Value.Chaos ?? new ChaosSettings();

    public ChaosSettings Current => Volatile.Read(ref _current);

    public void Replace(ChaosSettings settings) => Volatile.Write(ref _current, settings);
}
