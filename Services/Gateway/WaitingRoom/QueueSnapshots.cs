using System.Collections.Frozen;
using System.Globalization;
using Boxoffice.Contracts.WaitingRoom;

namespace Boxoffice.Gateway.WaitingRoom;

/// <summary>Section <c>WaitingRoom</c> of the gateway's configuration.</summary>
internal sealed class WaitingRoomSettings
{
    public const string Section = "WaitingRoom";

    /// <summary>The waiting-room service, by service-discovery name.</summary>
    public Uri Service { get; set; } = new("https+http://waiting-room");

    /// <summary>The key of the waiting room's internal endpoints (<see cref="InternalKey"/>), sent with every snapshot fetch and seen report.</summary>
    public string InternalKey { get; set; } = "";

    /// <summary>How often every queue's snapshot is fetched.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often the buyers seen polling are reported, so their places do not count as abandoned.</summary>
    public TimeSpan SeenInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The longest a status poll whose ticket is newer than the snapshot at hand waits for the
    /// next snapshots before it answers that the event has no waiting room (<see cref="QueueSnapshots.FindAsync"/>).
    /// </summary>
    public TimeSpan NewQueueWait { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// Every queue as the waiting room last reported it (docs/adr/0010-waiting-room.md), fetched twice
/// a second: status polls are answered from it without any I/O, and admission is enforced for the
/// events it lists. Until the first fetch succeeds nothing is known (<see cref="Loaded"/> is false):
/// the gateway then lets holds through, and booking, which knows every event's waiting room itself,
/// enforces admission alone. A failed fetch, whatever the failure, keeps the last snapshot.
/// </summary>
internal sealed partial class QueueSnapshots(
    IHttpClientFactory clients, Microsoft.Extensions.Options.IOptions<WaitingRoomSettings> settings, TimeProvider time, ILogger<QueueSnapshots> logger)
    : BackgroundService
{
    /// <summary>The waiting room's client for its internal endpoints: it sends the internal key.</summary>
    public const string InternalClientName = "waiting-room-internal";

    /// <summary>The waiting room's client for calls made as a buyer (their token and ticket): no internal key.</summary>
    public const string BuyerClientName = "waiting-room";

    /// <summary>The queues of one fetch, with when the waiting room read them (Unix milliseconds, its clock).</summary>
    private sealed record Fetched(FrozenDictionary<Guid, QueueSnapshot> Queues, long ReadAtUnixMs);

    private volatile Fetched _fetched = new(FrozenDictionary<Guid, QueueSnapshot>.Empty, long.MinValue);
    private volatile TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _failing;

    public bool Loaded { get; private set; }

    public bool TryGet(Guid eventId, out QueueSnapshot queue) => _fetched.Queues.TryGetValue(eventId, out queue!);

    /// <summary>
    /// The event's queue for a buyer who joined it at <paramref name="joinedAt"/> (the ticket's
    /// whole second, the waiting room's clock). A queue the snapshot at hand does not list may be
    /// newer than the snapshot: an organizer just put the event behind a waiting room, and the
    /// buyer joined at once through another replica. Then the next snapshots are awaited, at most
    /// <see cref="WaitingRoomSettings.NewQueueWait"/>, until one the waiting room read after the
    /// join's second lists it or not. A queue that existed when the buyer joined is in every such
    /// read; every other call answers from the snapshot at hand.
    /// </summary>
    public async ValueTask<QueueSnapshot?> FindAsync(Guid eventId, DateTimeOffset joinedAt, CancellationToken cancellationToken)
    {
        var waitUntil = time.GetUtcNow() + settings.Value.NewQueueWait;
        var joinedSecondEnds = joinedAt.ToUnixTimeMilliseconds() + 1_000;
        while (true)
        {
            // The fetch and its read time together: a refresh between two reads cannot mix them.
            var changed = Changed;
            var fetched = _fetched;
            if (fetched.Queues.TryGetValue(eventId, out var queue))
            {
                return queue;
            }

            var remaining = waitUntil - time.GetUtcNow();
            if (!Loaded || fetched.ReadAtUnixMs >= joinedSecondEnds || remaining <= TimeSpan.Zero)
            {
                return null;
            }

            try
            {
                await changed.WaitAsync(remaining, time, cancellationToken);
            }
            catch (TimeoutException)
            {
                return TryGet(eventId, out queue) ? queue : null;
            }
        }
    }

    /// <summary>Completes at the next refresh (for the status streams).</summary>
    public Task Changed => _changed.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(settings.Value.RefreshInterval);
        do
        {
            await RefreshAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        try
        {
            var startedAt = time.GetUtcNow().ToUnixTimeMilliseconds();
            using var client = clients.CreateClient(InternalClientName);
            using var response = await client.GetAsync("/internal/queues", cancellationToken);
            response.EnsureSuccessStatusCode();
            var queues = await response.Content.ReadFromJsonAsync<QueueSnapshot[]>(cancellationToken) ?? [];
            // Without the waiting room's read time (an older one), this replica's clock at the fetch's start.
            var readAt = response.Headers.TryGetValues(QueueSnapshotHeaders.ReadAt, out var values)
                && long.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var at) ? at : startedAt;
            _fetched = new Fetched(queues.ToFrozenDictionary(queue => queue.EventId), readAt);
            Loaded = true;
            if (_failing)
            {
                _failing = false;
                LogRecovered();
            }
        }
        catch (Exception failure) when (!cancellationToken.IsCancellationRequested)
        {
            // Any failure, not only the transport's: the resilience pipeline answers with its own
            // exceptions (an open circuit, its timeout), and one escaping here once stopped both
            // gateway replicas in a flash sale (a background service's exception stops the host).
            if (!_failing)
            {
                _failing = true;
                LogFetchFailed(failure.Message);
            }
        }
        finally
        {
            Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not fetch the waiting room's queues ({Reason}); answering from the last ones until it answers")]
    private partial void LogFetchFailed(string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "The waiting room's queues are fetched again")]
    private partial void LogRecovered();
}
