using Boxoffice.PaymentProvider.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Boxoffice.PaymentProvider.Charges;

/// <summary>
/// Completes the charges nobody asks about: one whose process died during its delay, or whose
/// completion failed, and that no caller reads again. Each round completes every charge that was
/// due a second ago (the request that started a charge completes it itself, a moment after it is
/// due), with the outcome it was recorded with. Safe on several replicas: completing is one
/// UPDATE of the processing rows, and a row another replica completed first is no longer one.
/// </summary>
internal sealed partial class ChargeCompletionSweep(
    NpgsqlDataSource db, IOptions<ProviderOptions> options, TimeProvider time, ILogger<ChargeCompletionSweep> logger) : BackgroundService
{
    /// <summary>Left to the request that started a charge, so that the sweep completes only the orphans.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CompletionSweepInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await ChargeStore.CompleteDueAsync(db, time.GetUtcNow() - Grace, logger, stoppingToken);
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    // The database is away, most likely: the next round tries again, and reads complete what they meet meanwhile.
                    LogRoundFailed(exception);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Completing due charges failed; trying again next round")]
    private partial void LogRoundFailed(Exception exception);
}
