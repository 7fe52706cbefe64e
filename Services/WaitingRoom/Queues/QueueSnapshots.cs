using Boxoffice.Contracts.WaitingRoom;
using Boxoffice.Postgres;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Boxoffice.WaitingRoom.Queues;

/// <summary>
/// The shown queues with their places counted, read at most every <see cref="FreshFor"/> by this
/// replica: every gateway replica fetches them twice a second, buyers load the public info, and
/// counting a big queue is the dearest read the waiting room makes. The ticker refreshes them
/// every tick, which also keeps the <c>waiting</c> gauge current.
/// </summary>
internal sealed class QueueSnapshots(NpgsqlDataSource db, IOptions<WaitingRoomOptions> options, TimeProvider time)
{
    public static readonly TimeSpan FreshFor = TimeSpan.FromMilliseconds(250);

    private readonly SemaphoreSlim _reading = new(1, 1);
    private QueuesRead? _last;

    /// <summary>The shown queues, as read less than <see cref="FreshFor"/> ago.</summary>
    public async Task<IReadOnlyList<QueueView>> GetAsync(CancellationToken cancellationToken) => (await GetReadAsync(cancellationToken)).Views;

    /// <summary>The shown queues with the time they were read, less than <see cref="FreshFor"/> ago.</summary>
    public async Task<QueuesRead> GetReadAsync(CancellationToken cancellationToken)
    {
        if (Fresh() is { } fresh)
        {
            return fresh;
        }

        // One read at a time: a crowd of requests waits for it instead of counting in parallel.
        await _reading.WaitAsync(cancellationToken);
        try
        {
            return Fresh() ?? await ReadAsync(cancellationToken);
        }
        finally
        {
            _reading.Release();
        }
    }

    /// <summary>Reads the shown queues now.</summary>
    public async Task<IReadOnlyList<QueueView>> RefreshAsync(CancellationToken cancellationToken)
    {
        await _reading.WaitAsync(cancellationToken);
        try
        {
            return (await ReadAsync(cancellationToken)).Views;
        }
        finally
        {
            _reading.Release();
        }
    }

    /// <summary>One event's queue: from the last read if it is shown, else from the database (a queue closed long ago); null when the event has no waiting room.</summary>
    public async Task<QueueView?> FindAsync(Guid eventId, CancellationToken cancellationToken)
    {
        var views = await GetAsync(cancellationToken);
        foreach (var view in views)
        {
            if (view.Queue.EventId == eventId)
            {
                return view;
            }
        }

        return await db.ReadAsync(connection => QueueStore.ReadViewAsync(connection, eventId, time.Now(), options.Value.AbandonedAfter, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// The snapshot of <paramref name="queue"/> (read just now by the caller) with what the last
    /// read counted of its places: waiting, the measured rate, the front and the reach; none of
    /// them when it was not read yet. So a join or an admission request tells a buyer what the
    /// gateway would.
    /// </summary>
    public QueueSnapshot SnapshotOf(QueueRow queue, DateTimeOffset now)
    {
        var last = Volatile.Read(ref _last)?.Views.FirstOrDefault(view => view.Queue.EventId == queue.EventId);
        return QueueRules.Snapshot(queue, last?.Waiting ?? 0, last?.AdmittedPerSecond ?? 0, now, last?.FrontThrough ?? -1, last?.ReachThrough ?? long.MaxValue);
    }

    private QueuesRead? Fresh() => Volatile.Read(ref _last) is { } last && time.GetUtcNow() - last.At < FreshFor ? last : null;

    private async Task<QueuesRead> ReadAsync(CancellationToken cancellationToken)
    {
        var now = time.Now();
        var views = await db.ReadAsync(connection => QueueStore.ReadShownAsync(connection, now, options.Value.AbandonedAfter, cancellationToken), cancellationToken);
        var read = new QueuesRead(now, views);
        Volatile.Write(ref _last, read);
        WaitingRoomMetrics.SetWaiting(views.Select(view => KeyValuePair.Create(view.Queue.EventId, view.Waiting)));
        return read;
    }

}

/// <summary>The shown queues as read at <paramref name="At"/>: every queue created before then is among them.</summary>
internal sealed record QueuesRead(DateTimeOffset At, IReadOnlyList<QueueView> Views);
