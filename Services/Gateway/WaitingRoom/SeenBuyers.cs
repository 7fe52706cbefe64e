using System.Collections.Concurrent;

namespace Boxoffice.Gateway.WaitingRoom;

/// <summary>
/// The buyers whose status polls this gateway answered, reported to the waiting room every couple
/// of seconds in one request (<c>POST /internal/queues/seen</c>), so a buyer who follows the poll
/// schedule is never skipped as abandoned, at the cost of one small request per interval instead
/// of a write per poll. A report that fails, whatever the failure, is merged into the next one; a killed replica loses at
/// most one interval of marks, far less than the abandon window.
/// </summary>
internal sealed partial class SeenBuyers(
    IHttpClientFactory clients, Microsoft.Extensions.Options.IOptions<WaitingRoomSettings> settings, ILogger<SeenBuyers> logger) : BackgroundService
{
    /// <summary>The most buyer ids sent in one report; more wait for the next.</summary>
    public const int MaxPerReport = 50_000;

    private ConcurrentDictionary<(Guid EventId, string BuyerId), byte> _seen = new();

    public void Mark(Guid eventId, string buyerId) => _seen.TryAdd((eventId, buyerId), 0);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(settings.Value.SeenInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await ReportAsync(stoppingToken);
        }
    }

    private async Task ReportAsync(CancellationToken cancellationToken)
    {
        if (_seen.IsEmpty)
        {
            return;
        }

        var batch = Interlocked.Exchange(ref _seen, new ConcurrentDictionary<(Guid EventId, string BuyerId), byte>());
        var marks = batch.Keys.Take(MaxPerReport).ToList();
        var events = marks.GroupBy(mark => mark.EventId).ToDictionary(group => group.Key, group => group.Select(mark => mark.BuyerId).ToList());
        try
        {
            using var client = clients.CreateClient(QueueSnapshots.InternalClientName);
            using var response = await client.PostAsJsonAsync("/internal/queues/seen", new { events }, cancellationToken);
            response.EnsureSuccessStatusCode();
            foreach (var mark in batch.Keys.Skip(MaxPerReport))
            {
                Mark(mark.EventId, mark.BuyerId);
            }
        }
        catch (Exception failure) when (!cancellationToken.IsCancellationRequested)
        {
            // Any failure (an open circuit too): see QueueSnapshots.RefreshAsync.
            foreach (var mark in batch.Keys)
            {
                Mark(mark.EventId, mark.BuyerId);
            }

            LogReportFailed(marks.Count, failure.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not report {Buyers} polling buyers to the waiting room ({Reason}); they are sent with the next report")]
    private partial void LogReportFailed(int buyers, string reason);
}
