using System.Threading.Channels;
using Confluent.Kafka;

namespace Boxoffice.Messaging;

/// <summary>
/// The messages one consumer has in hand at once (<see cref="KafkaSubscription.MessagesAtOnce"/>).
/// Each starts when it is polled (or, polled while the window was full, once there is room),
/// unless a message with the same key is still in hand: then it starts after that one, so one
/// key's messages are handled one after another, in their order. Nothing polled is ever put back.
/// Offsets are given back per partition in the order polled, and only as far as every message
/// before is done, so a stored offset never passes a message still in hand. A partition taken away
/// gives back nothing more: its messages in hand finish, and its new owner reads them again.
/// </summary>
/// <remarks>
/// <see cref="Add"/>, <see cref="StartWaiting"/>, <see cref="TakeFinished"/> and <see cref="DrainAsync"/> belong to the
/// consumer loop; <see cref="Revoke"/> to the rebalance callbacks, which run inside the loop's
/// poll; the messages themselves run on the thread pool and only report when they finish.
/// </remarks>
/// <param name="handle">Handles one message, on its partition's line: true when it is done (its offset may be stored), false when it was left for the partition's next reader.</param>
internal sealed class ConsumeWindow(int size, Func<ConsumeResult<string, byte[]>, ConsumeWindow.Line, Task<bool>> handle, CancellationToken stoppingToken)
{
    private readonly Dictionary<TopicPartition, Line> _lines = [];
    private readonly Dictionary<string, Entry> _lastByKey = new(StringComparer.Ordinal);
    private readonly Channel<Entry> _finished = Channel.CreateUnbounded<Entry>(new UnboundedChannelOptions { SingleReader = true });

    // Entries, not their tasks: an async method that finishes at once may return a shared completed task.
    private readonly HashSet<Entry> _running = [];
    private readonly Queue<Entry> _waiting = new();

    /// <summary>Messages taken in hand and not yet taken back by <see cref="TakeFinished"/>: started, or waiting for room.</summary>
    public int InHand => _running.Count + _waiting.Count;

    /// <summary>No room to start another message: the loop polls for none.</summary>
    public bool Full => _running.Count >= size;

    /// <summary>
    /// Takes <paramref name="result"/> in hand and starts it, after the message in hand with the
    /// same key, if any; when the window is full, it waits for room (<see cref="StartWaiting"/>).
    /// Either way it holds back its partition's offset from now on.
    /// </summary>
    public void Add(ConsumeResult<string, byte[]> result)
    {
        Line line;
        lock (_lines)
        {
            if (!_lines.TryGetValue(result.TopicPartition, out line!))
            {
                _lines[result.TopicPartition] = line = new Line();
            }
        }

        var entry = new Entry(result, line);
        line.Order.Enqueue(entry);
        _waiting.Enqueue(entry);
        StartWaiting();
    }

    /// <summary>Starts the messages waiting for room, in the order they were polled, while there is room.</summary>
    public void StartWaiting()
    {
        while (_running.Count < size && _waiting.TryDequeue(out var entry))
        {
            var key = entry.Result.Message.Key;
            var previous = key is not null && _lastByKey.TryGetValue(key, out var last) ? last : null;
            _running.Add(entry);
            if (key is not null)
            {
                _lastByKey[key] = entry;
            }

            entry.Task = RunAsync(previous, entry);
        }
    }

    /// <summary>What the messages finished since the last call allow: offsets to store, messages of partitions taken away, failures.</summary>
    public List<Finished> TakeFinished()
    {
        var taken = new List<Finished>();
        while (_finished.Reader.TryRead(out var entry))
        {
            _running.Remove(entry);
            var key = entry.Result.Message.Key;
            if (key is not null && _lastByKey.TryGetValue(key, out var last) && last == entry)
            {
                _lastByKey.Remove(key);
            }

            if (entry.Failure is { } failure)
            {
                // Not done: its offset, and every later one of its partition, stays unstored.
                taken.Add(new Finished(null, null, failure, stoppingToken.IsCancellationRequested));
                continue;
            }

            if (entry.Line.Revoked)
            {
                taken.Add(new Finished(null, entry.Result, null, false));
                continue;
            }

            if (!entry.Done)
            {
                // Skipped after the failure of its key's earlier message: like that one, it holds back its partition.
                taken.Add(new Finished(null, null, new InvalidOperationException(
                    $"{entry.Result.TopicPartitionOffset} was not handled: an earlier message with its key failed."), stoppingToken.IsCancellationRequested));
                continue;
            }

            entry.Completed = true;
            ConsumeResult<string, byte[]>? store = null;
            while (entry.Line.Order.TryPeek(out var first) && first.Completed)
            {
                store = entry.Line.Order.Dequeue().Result;
            }

            if (store is not null)
            {
                taken.Add(new Finished(store, null, null, false));
            }
        }

        return taken;
    }

    /// <summary>Taken from this consumer: nothing more is given back for these partitions, and their messages waiting for the database give up.</summary>
    public void Revoke(IEnumerable<TopicPartition> partitions)
    {
        lock (_lines)
        {
            foreach (var partition in partitions)
            {
                if (_lines.Remove(partition, out var line))
                {
                    line.Revoked = true;
                }
            }
        }
    }

    /// <summary>Until a message has finished that <see cref="TakeFinished"/> has not taken yet, at most <paramref name="timeout"/>; whether one has.</summary>
    public async Task<bool> WaitForFinishedAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        // The wait itself is cancelled when the time is up, so no waiter is left on the channel.
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        waiting.CancelAfter(timeout);
        try
        {
            return await _finished.Reader.WaitToReadAsync(waiting.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Until every message in hand has finished (they watch the stopping token).</summary>
    public Task DrainAsync()
    {
        // What waits for room is not started now; its offset stays unstored, so it is read again.
        _waiting.Clear();
        return Task.WhenAll(_running.Select(entry => entry.Task!));
    }

    /// <summary>
    /// Handles the entry once the message of its key before it (if any) has finished, and only if
    /// that one was done and the partition is still this consumer's: a key's later message never
    /// runs ahead of an earlier one that failed or was left to the partition's new owner.
    /// </summary>
    private async Task RunAsync(Entry? previous, Entry entry)
    {
        try
        {
            if (previous?.Task is { } before)
            {
                await before;
            }

            // An earlier message of the key that failed, or that gave up on this same line (its
            // partition taken away), stops this one too. One left on a line taken away before
            // this message was read again does not: this is the re-read copy's turn.
            if (entry.Line.Revoked || previous is { Failure: not null } || previous is { Done: false } && previous.Line == entry.Line)
            {
                // Left for whoever reads the partition next (or for this consumer's next client, after a failure).
                entry.Done = false;
                return;
            }

            entry.Done = await handle(entry.Result, entry.Line);
        }
        catch (Exception exception)
        {
            entry.Failure = exception;
        }
        finally
        {
            _finished.Writer.TryWrite(entry);
        }
    }

    /// <summary>One partition's messages in hand, in the order polled, while the partition is this consumer's.</summary>
    public sealed class Line
    {
        private volatile bool _revoked;

        public bool Revoked
        {
            get => _revoked;
            set => _revoked = value;
        }

        internal Queue<Entry> Order { get; } = new();
    }

    internal sealed class Entry(ConsumeResult<string, byte[]> result, Line line)
    {
        public ConsumeResult<string, byte[]> Result { get; } = result;
        public Line Line { get; } = line;
        public Task? Task { get; set; }
        public bool Done { get; set; }
        public bool Completed { get; set; }
        public Exception? Failure { get; set; }
    }

    /// <summary>
    /// One finished message's outcome: <see cref="Store"/>, the message whose offset may now be
    /// stored (the last of its partition's finished run); or <see cref="Abandoned"/>, a message of
    /// a partition taken away; or <see cref="Failure"/>, what it threw beyond its handler
    /// (<see cref="Stopping"/>: while the consumer stopped).
    /// </summary>
    public readonly record struct Finished(ConsumeResult<string, byte[]>? Store, ConsumeResult<string, byte[]>? Abandoned, Exception? Failure, bool Stopping);
}
