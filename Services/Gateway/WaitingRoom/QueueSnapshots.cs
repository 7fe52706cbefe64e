using System.Collections.Frozen;
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
    /// How long a status poll whose ticket is newer than the last snapshot waits for the next ones
    /// before it answers that the event has no waiting room (<see cref="QueueSnapshots.FindAsync"/>).
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

    private volatile FrozenDictionary<Guid, QueueSnapshot> _queues = FrozenDictionary<Guid, QueueSnapshot>.Empty;
    private volatile TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _failing;
    private long _fetchedFromUnixMs = long.MinValue;

    public bool Loaded { get; private set; }

    public bool TryGet(Guid eventId, out QueueSnapshot queue) => _queues.TryGetValue(eventId, out queue!);

    /// <summary>
    /// The event's queue for a buyer who joined it at <paramref name="joinedAt"/>. A queue the
    /// last snapshot does not list may be newer than the snapshot (an organizer just put the event
    /// behind a waiting room, and the buyer joined at once): then the snapshots fetched from the
    /// join's second on are awaited, at most <see cref="WaitingRoomSettings.NewQueueWait"/>, before
    /// the queue is called missing. Every other call answers from the snapshot at hand.
    /// </summary>
    public async ValueTask<QueueSnapshot?> FindAsync(Guid eventId, DateTimeOffset joinedAt, CancellationToken cancellationToken)
    {
        var waitUntil = time.GetUtcNow() + settings.Value.NewQueueWait;
        while (true)
        {
            var changed = Changed;
            if (TryGet(eventId, out var queue))
            {
                return queue;
            }

            // The ticket's join time is whole seconds: a snapshot fetched from that second on may still miss it.
            var joinedFrom = joinedAt.ToUnixTimeMilliseconds();
            var remaining = waitUntil - time.GetUtcNow();
            if (!Loaded || Interlocked.Read(ref _fetchedFromUnixMs) >= joinedFrom + 1_000 || remaining <= TimeSpan.Zero)
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
            var queues = await client.GetFromJsonAsync<QueueSnapshot[]>("/internal/queues", cancellationToken) ?? [];
            _queues = queues.ToFrozenDictionary(queue => queue.EventId);
            Interlocked.Exchange(ref _fetchedFromUnixMs, startedAt);
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
