using System.Collections.Concurrent;

namespace Boxoffice.Gateway.WaitingRoom;

/// <summary>
/// The buyers whose status polls and streams this gateway answered, reported to the waiting room
/// every couple of seconds in one request (<c>POST /internal/queues/seen</c>), so a buyer who
/// follows the poll schedule is never skipped as abandoned, at the cost of one small request per
/// interval instead of a write per poll. A buyer whose last poll was answered "sold out" is
/// reported as told so: that answer names no next poll, so the waiting room takes the place out of
/// line until its buyer asks again, and places that come back go to buyers still there. A report
/// that fails, whatever the failure, is merged into the next one; a killed replica loses at most
/// one interval of marks, far less than the abandon window.
/// </summary>
internal sealed partial class SeenBuyers(
    IHttpClientFactory clients, Microsoft.Extensions.Options.IOptions<WaitingRoomSettings> settings, ILogger<SeenBuyers> logger) : BackgroundService
{
    /// <summary>The most buyer ids sent in one report; more wait for the next.</summary>
    public const int MaxPerReport = 50_000;

    private ConcurrentDictionary<(Guid EventId, string BuyerId), bool> _seen = new();

    /// <summary>The buyer asked; <paramref name="toldSoldOut"/>: a poll answered "sold out". The last answer in an interval is the one reported.</summary>
    public void Mark(Guid eventId, string buyerId, bool toldSoldOut = false) => _seen[(eventId, buyerId)] = toldSoldOut;

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

        var batch = Interlocked.Exchange(ref _seen, new ConcurrentDictionary<(Guid EventId, string BuyerId), bool>());
        // Read once: a mark racing the swap must not shift what is sent against what is kept.
        var all = batch.ToArray();
        var marks = all.Take(MaxPerReport).ToList();
        try
        {
            using var client = clients.CreateClient(QueueSnapshots.InternalClientName);
            using var response = await client.PostAsJsonAsync(
                "/internal/queues/seen", new { events = ByEvent(marks, toldSoldOut: false), toldSoldOut = ByEvent(marks, toldSoldOut: true) }, cancellationToken);
            response.EnsureSuccessStatusCode();
            Requeue(all.Skip(MaxPerReport));
        }
        catch (Exception failure) when (!cancellationToken.IsCancellationRequested)
        {
            // Any failure (an open circuit too): see QueueSnapshots.RefreshAsync.
            Requeue(all);
            LogReportFailed(marks.Count, failure.Message);
        }
    }

    private static Dictionary<Guid, List<string>> ByEvent(List<KeyValuePair<(Guid EventId, string BuyerId), bool>> marks, bool toldSoldOut) =>
        marks.Where(mark => mark.Value == toldSoldOut)
            .GroupBy(mark => mark.Key.EventId)
            .ToDictionary(group => group.Key, group => group.Select(mark => mark.Key.BuyerId).ToList());

    /// <summary>Marks not sent, for the next report; a newer answer to the same buyer, marked meanwhile, stands.</summary>
    private void Requeue(IEnumerable<KeyValuePair<(Guid EventId, string BuyerId), bool>> marks)
    {
        foreach (var mark in marks)
        {
            _seen.TryAdd(mark.Key, mark.Value);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not report {Buyers} polling buyers to the waiting room ({Reason}); they are sent with the next report")]
    private partial void LogReportFailed(int buyers, string reason);
}
