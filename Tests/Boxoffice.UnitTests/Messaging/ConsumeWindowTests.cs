using Boxoffice.Messaging;
using Confluent.Kafka;

namespace Boxoffice.UnitTests.Messaging;

/// <summary>
/// A consumer with several messages in hand (Payments' charges): one key's messages run one after
/// another in their order, other keys run beside them, and a partition's offset is given back
/// only as far as every message before it is done, so nothing still in hand is ever passed.
/// </summary>
public sealed class ConsumeWindowTests
{
    private const string Topic = "booking.orders";

    [Fact]
    public async Task An_offset_is_given_back_only_once_every_earlier_message_of_its_partition_is_done()
    {
        var handling = new Handling();
        var window = new ConsumeWindow(8, handling.Handle, CancellationToken.None);
        window.Add(Message("order-a", 0, 10));
        window.Add(Message("order-b", 0, 11));
        window.Add(Message("order-c", 0, 12));
        window.Add(Message("order-d", 1, 5));

        // The later messages of partition 0 finish first: nothing of it can be stored yet.
        handling.Finish(11);
        handling.Finish(12);
        handling.Finish(5);
        var first = await TakeAsync(window, expected: 3);
        Assert.Equal([(1, 5L)], Stored(first));
        Assert.Equal(1, window.InHand);

        // The first one finishes: the whole run, up to 12, goes back at once.
        handling.Finish(10);
        var second = await TakeAsync(window, expected: 1);
        Assert.Equal([(0, 12L)], Stored(second));
        Assert.Equal(0, window.InHand);
    }

    [Fact]
    public async Task A_wait_for_a_finished_message_ends_at_its_time_and_the_next_wait_sees_one_that_finished_after_it()
    {
        var handling = new Handling();
        var window = new ConsumeWindow(8, handling.Handle, CancellationToken.None);
        window.Add(Message("order-a", 0, 1));
        await handling.StartedAsync(1);

        // Nothing finishes: the wait says so once its time is up, however often it is asked.
        for (var wait = 0; wait < 3; wait++)
        {
            Assert.False(await window.WaitForFinishedAsync(TimeSpan.FromMilliseconds(20), TestContext.Current.CancellationToken));
        }

        handling.Finish(1);
        Assert.True(await window.WaitForFinishedAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.Equal([(0, 1L)], Stored(window.TakeFinished()));
    }

    [Fact]
    public async Task Messages_of_one_key_run_one_after_another_in_their_order_and_other_keys_beside_them()
    {
        var handling = new Handling();
        var window = new ConsumeWindow(8, handling.Handle, CancellationToken.None);
        window.Add(Message("order-a", 0, 1));
        window.Add(Message("order-a", 0, 2));
        window.Add(Message("order-b", 0, 3));

        await handling.StartedAsync(1);
        await handling.StartedAsync(3);
        Assert.False(handling.HasStarted(2));

        handling.Finish(1);
        await handling.StartedAsync(2);
        handling.Finish(2);
        handling.Finish(3);
        Assert.Equal((0, 3L), Stored(await TakeAsync(window, expected: 3)).Last());
        Assert.Equal([1L, 3, 2], handling.StartOrder);
    }

    [Fact]
    public async Task A_partition_taken_away_gives_nothing_back_and_its_new_turn_starts_afresh()
    {
        var handling = new Handling();
        var window = new ConsumeWindow(8, handling.Handle, CancellationToken.None);
        window.Add(Message("order-a", 0, 20));
        window.Add(Message("order-b", 0, 21));

        window.Revoke([new TopicPartition(Topic, 0)]);
        handling.Finish(21);
        handling.Finish(20);
        var finished = await TakeAsync(window, expected: 2);
        Assert.Empty(Stored(finished));
        Assert.Equal([20L, 21], finished.Select(f => f.Abandoned!.Offset.Value).Order());

        // Assigned again: read again from the committed offset, given back as usual.
        window.Add(Message("order-a", 0, 20));
        handling.Finish(20);
        Assert.Equal([(0, 20L)], Stored(await TakeAsync(window, expected: 1)));
    }

    [Fact]
    public async Task A_message_that_throws_beyond_its_handler_is_reported_and_holds_back_its_partition()
    {
        var handling = new Handling();
        var window = new ConsumeWindow(2, handling.Handle, CancellationToken.None);
        var failure = new InvalidOperationException("the broker refused the hand-over");
        handling.AnswerOnce(7, Task.FromException<bool>(failure));
        handling.AnswerOnce(8, Task.FromResult(true));
        window.Add(Message("order-a", 0, 7));
        window.Add(Message("order-b", 0, 8));
        Assert.True(window.Full);

        var finished = await TakeAsync(window, expected: 2);

        Assert.Same(failure, Assert.Single(finished, f => f.Failure is not null).Failure);
        Assert.Empty(Stored(finished));
        Assert.False(window.Full);
    }

    [Fact]
    public async Task A_message_polled_while_the_window_is_full_waits_for_room_and_holds_back_its_partition_meanwhile()
    {
        var handling = new Handling();
        var window = new ConsumeWindow(1, handling.Handle, CancellationToken.None);
        window.Add(Message("order-a", 0, 30));
        Assert.True(window.Full);

        // Polled while full (from a partition assigned meanwhile): taken in hand, not started.
        window.Add(Message("order-b", 0, 31));
        Assert.Equal(2, window.InHand);
        Assert.False(handling.HasStarted(31));

        handling.Finish(30);
        Assert.Equal([(0, 30L)], Stored(await TakeAsync(window, expected: 1)));
        window.StartWaiting();
        await handling.StartedAsync(31);
        handling.Finish(31);
        Assert.Equal([(0, 31L)], Stored(await TakeAsync(window, expected: 1)));
    }

    [Fact]
    public async Task A_waiting_message_of_a_partition_taken_away_is_not_handled()
    {
        var handling = new Handling();
        var window = new ConsumeWindow(1, handling.Handle, CancellationToken.None);
        window.Add(Message("order-a", 3, 1));
        window.Add(Message("order-b", 3, 2));

        window.Revoke([new TopicPartition(Topic, 3)]);
        handling.Finish(1);
        await TakeAsync(window, expected: 1);
        window.StartWaiting();
        var finished = await TakeAsync(window, expected: 1);

        Assert.False(handling.HasStarted(2));
        Assert.Empty(Stored(finished));
        Assert.Equal(0, window.InHand);
    }

    [Fact]
    public async Task A_key_s_later_message_never_runs_ahead_of_an_earlier_one_that_failed_or_was_taken_away()
    {
        var handling = new Handling();
        var window = new ConsumeWindow(4, handling.Handle, CancellationToken.None);
        var failed = new TaskCompletionSource<bool>();
        handling.AnswerOnce(40, failed.Task);
        handling.AnswerOnce(9, Task.FromResult(false));
        window.Add(Message("order-a", 0, 40));
        window.Add(Message("order-a", 0, 41));
        window.Add(Message("order-b", 1, 9));
        window.Add(Message("order-b", 1, 10));

        // order-b's first message gave up (its partition was taken away while it waited).
        window.Revoke([new TopicPartition(Topic, 1)]);
        failed.SetException(new InvalidOperationException("the hand-over failed"));
        var finished = await TakeAsync(window, expected: 4);

        Assert.False(handling.HasStarted(41));
        Assert.False(handling.HasStarted(10));
        Assert.Empty(Stored(finished));
        Assert.Equal(2, finished.Count(f => f.Failure is not null));
        Assert.Equal([9L, 10], finished.Where(f => f.Abandoned is not null).Select(f => f.Abandoned!.Offset.Value).Order());
    }

    [Fact]
    public async Task A_message_read_again_after_its_partition_came_back_runs_though_the_first_copy_gave_up()
    {
        var handling = new Handling();
        var window = new ConsumeWindow(4, handling.Handle, CancellationToken.None);
        var firstCopy = new TaskCompletionSource<bool>();
        handling.AnswerOnce(50, firstCopy.Task);
        window.Add(Message("order-a", 0, 50));

        // Taken away and given back: the partition is read again from its committed offset.
        window.Revoke([new TopicPartition(Topic, 0)]);
        window.Add(Message("order-a", 0, 50));
        firstCopy.SetResult(false);

        await handling.StartedAsync(50);
        handling.Finish(50);
        var finished = await TakeAsync(window, expected: 2);
        Assert.Equal([(0, 50L)], Stored(finished));
        Assert.Equal(50L, Assert.Single(finished, f => f.Abandoned is not null).Abandoned!.Offset.Value);
    }

    private static ConsumeResult<string, byte[]> Message(string key, int partition, long offset) => new()
    {
        TopicPartitionOffset = new TopicPartitionOffset(Topic, partition, offset),
        Message = new Message<string, byte[]> { Key = key, Value = [] },
    };

    private static IEnumerable<(int Partition, long Offset)> Stored(IEnumerable<ConsumeWindow.Finished> finished) =>
        finished.Where(f => f.Store is not null).Select(f => (f.Store!.Partition.Value, f.Store.Offset.Value)).Order();

    /// <summary>What the window gives back once <paramref name="expected"/> messages have finished.</summary>
    private static async Task<List<ConsumeWindow.Finished>> TakeAsync(ConsumeWindow window, int expected)
    {
        var taken = new List<ConsumeWindow.Finished>();
        var inHand = window.InHand;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (inHand - window.InHand < expected)
        {
            taken.AddRange(window.TakeFinished());
            await Task.Delay(5, deadline.Token);
        }

        return taken;
    }

    /// <summary>Handles each message until the test finishes it by offset, recording the order they started in.</summary>
    private sealed class Handling
    {
        private readonly Dictionary<long, TaskCompletionSource<bool>> _finish = [];
        private readonly Dictionary<long, TaskCompletionSource> _started = [];
        private readonly List<long> _order = [];
        private readonly Dictionary<long, Queue<Task<bool>>> _answers = [];

        /// <summary>The next time the message at <paramref name="offset"/> is handled, it answers <paramref name="answer"/> (and does not count as started).</summary>
        public void AnswerOnce(long offset, Task<bool> answer)
        {
            lock (_order)
            {
                if (!_answers.TryGetValue(offset, out var answers))
                {
                    _answers[offset] = answers = new Queue<Task<bool>>();
                }

                answers.Enqueue(answer);
            }
        }

        public List<long> StartOrder
        {
            get
            {
                lock (_order)
                {
                    return [.. _order];
                }
            }
        }

        public Task<bool> Handle(ConsumeResult<string, byte[]> message, ConsumeWindow.Line line)
        {
            lock (_order)
            {
                if (_answers.TryGetValue(message.Offset.Value, out var answers) && answers.TryDequeue(out var answer))
                {
                    return answer;
                }

                _order.Add(message.Offset.Value);
                Started(message.Offset.Value).TrySetResult();
                return Finishing(message.Offset.Value).Task;
            }
        }

        public void Finish(long offset)
        {
            lock (_order)
            {
                Finishing(offset).TrySetResult(true);
            }
        }

        public bool HasStarted(long offset)
        {
            lock (_order)
            {
                return _order.Contains(offset);
            }
        }

        public Task StartedAsync(long offset)
        {
            lock (_order)
            {
                return Started(offset).Task.WaitAsync(TimeSpan.FromSeconds(10));
            }
        }

        private TaskCompletionSource<bool> Finishing(long offset) =>
            _finish.TryGetValue(offset, out var finish) ? finish : _finish[offset] = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private TaskCompletionSource Started(long offset) =>
            _started.TryGetValue(offset, out var started) ? started : _started[offset] = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
