using System.Globalization;
using System.Text;
using System.Text.Json;
using Boxoffice.Contracts;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Boxoffice.Messaging;

/// <summary>
/// What one consumer subscribes to. With <see cref="UseRetryTopic"/>, a message whose handler
/// failed is moved to the topic's retry topic and tried again there after a growing pause, while
/// its partition moves on; without it, it is retried in place. Either way it goes to the
/// dead-letter topic after <see cref="MaxAttempts"/> attempts. With <see cref="MessagesAtOnce"/>
/// above 1, each consumer handles that many messages of different keys at once (messages of one
/// key still one after another, in their order): for handlers that wait on a third party.
/// </summary>
public sealed record KafkaSubscription(
    string Topic, string GroupId, Func<IServiceProvider, IKafkaMessageHandler> CreateHandler, int MaxAttempts = 3, bool UseRetryTopic = false,
    int MessagesAtOnce = 1)
{
    /// <summary>The consumer clients a process runs for <paramref name="consumers"/> consumers: as many again on the retry topic when it has one.</summary>
    public int ClientsFor(int consumers) => consumers * (UseRetryTopic ? 2 : 1);
}

/// <summary>Thrown by a handler for a message that can never be handled (not an event, unreadable): dead-lettered at once.</summary>
public sealed class PoisonMessageException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Consumes one topic (or its retry topic) for one subscription. Commit policy: a message's
/// offset is stored only after its handler succeeded, or after it was safely handed to the retry
/// or the dead-letter topic with the reason in its headers; stored offsets are committed in the
/// background and on shutdown. A poison message therefore never blocks its partition, and nothing
/// is skipped unhandled. A handler that failed because the database is away is not charged an
/// attempt: the message waits in place until the database answers again (see
/// <see cref="TransientDatabaseFailure"/>). The consumer outlives its client: whatever ends the
/// loop but shutdown is logged, and the client is built anew after a pause.
/// </summary>
internal sealed partial class KafkaConsumerService(
    KafkaSubscription subscription,
    ConsumerConfig config,
    bool retryTopic,
    KafkaRetryOptions retry,
    IServiceScopeFactory scopes,
    KafkaPublisher publisher,
    TimeProvider time,
    ILogger<KafkaConsumerService> logger) : BackgroundService
{
    internal const string AttemptHeader = "boxoffice-attempt";
    internal const string RetryAtHeader = "boxoffice-retry-at";
    internal const string GroupHeader = "boxoffice-group";
    internal const string ReasonHeader = "boxoffice-error";
    internal const string DeadLetterReasonHeader = "boxoffice-dlq-reason";
    internal const string DeadLetterSourceHeader = "boxoffice-dlq-source";
    internal const string DeadLetterGroupHeader = "boxoffice-dlq-group";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LagInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RebuildPause = TimeSpan.FromSeconds(5);

    /// <summary>The poll while a window has messages in hand and room for more: short, so finished ones are stored and replaced soon.</summary>
    private static readonly TimeSpan BusyPollInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>How long a full window waits for room before it polls all the same, to answer rebalances.</summary>
    private static readonly TimeSpan FullPollInterval = TimeSpan.FromSeconds(1);

    /// <summary>How a message waits <paramref name="pause"/> for the database; false when its partition was taken away meanwhile.</summary>
    private delegate Task<bool> WaitForDatabase(TimeSpan pause, CancellationToken stoppingToken);

    /// <summary>
    /// Partitions taken from this consumer since the message in hand was polled, one message at a
    /// time (a window keeps its own, <see cref="ConsumeWindow.Revoke"/>). Written by the rebalance
    /// callbacks, which librdkafka runs inside <c>Consume</c> on the poll thread; every use takes its lock.
    /// </summary>
    private readonly HashSet<TopicPartition> _revoked = [];

    private string Topic => retryTopic ? Topics.Retry(subscription.Topic) : subscription.Topic;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Leave the host's start-up path; the blocking polls run on a thread of their own.
        await Task.Yield();
        KafkaTelemetry.StartCounting(subscription.Topic, subscription.GroupId);
        using var polls = new PollThread($"kafka {Topic}");
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunClientAsync(polls, stoppingToken);
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                // Shutting down: whatever broke on the way out (a disposed producer) does not matter.
                return;
            }
            catch (Exception exception)
            {
                // A consumer that ended here would be gone until the service restarts, and its
                // partitions with it: start a new client instead. Nothing was stored for the
                // message in hand, so the group hands it out again.
                KafkaTelemetry.ConsumerRestarts.Add(1, new KeyValuePair<string, object?>("topic", Topic), new KeyValuePair<string, object?>("group", subscription.GroupId));
                LogConsumerFailed(exception, Topic, subscription.GroupId, RebuildPause.TotalSeconds);
                try
                {
                    await Task.Delay(RebuildPause, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>One client's life: join the group, consume until stopping or an error, then leave.</summary>
    private async Task RunClientAsync(PollThread polls, CancellationToken stoppingToken)
    {
        // A window's messages end with its client: when the loop ends for a failure, they are cancelled, not waited out.
        using var clientStopping = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var window = subscription.MessagesAtOnce > 1
            ? new ConsumeWindow(
                subscription.MessagesAtOnce,
                (message, line) => HandleOneAsync(message, (pause, cancellationToken) => WaitOutsideGroupAsync(line, pause, cancellationToken), clientStopping.Token),
                clientStopping.Token)
            : null;
        using var consumer = new ConsumerBuilder<string, byte[]>(config)
            .SetLogHandler((_, message) => LogClient(message.Level.ToString(), message.Facility, message.Message))
            .SetErrorHandler((_, error) => LogClientError(error.Code, error.Reason))
            .SetPartitionsAssignedHandler((_, assigned) => LogAssignment("assigned", Topic, subscription.GroupId, Partitions(assigned)))
            .SetPartitionsRevokedHandler((_, revoked) => Release("revoked", revoked))
            .SetPartitionsLostHandler((_, lost) => Release("lost", lost))
            .Build();
        consumer.Subscribe(Topic);
        LogSubscribed(Topic, subscription.GroupId);
        try
        {
            if (window is null)
            {
                await ConsumeAsync(consumer, polls, stoppingToken);
            }
            else
            {
                await ConsumeWindowAsync(consumer, polls, window, clientStopping, stoppingToken);
            }
        }
        finally
        {
            try
            {
                // Commits what was stored and leaves the group, so partitions move on without a timeout.
                consumer.Close();
            }
            catch (KafkaException exception)
            {
                LogCloseFailed(exception, Topic, subscription.GroupId);
            }
        }

        // Partitions revoked or lost: forgotten first, so a message in hand from one of them stops
        // waiting (its new owner handles it) and the partition's lag is no longer reported; then logged.
        void Release(string change, List<TopicPartitionOffset> partitions)
        {
            var released = partitions.ConvertAll(partition => partition.TopicPartition);
            Forget(released, window);
            LogAssignment(change, Topic, subscription.GroupId, Partitions(released));
        }
    }

    /// <summary>A rebalance's partitions for the log, e.g. "0,3,5"; an empty change (cooperative rebalancing hands those out) as "none".</summary>
    private static string Partitions(IEnumerable<TopicPartition> partitions) =>
        string.Join(',', partitions.Select(partition => partition.Partition.Value).Order()) is { Length: > 0 } list ? list : "none";

    private void Forget(IEnumerable<TopicPartition> partitions, ConsumeWindow? window)
    {
        var taken = partitions.ToList();
        if (window is null)
        {
            lock (_revoked)
            {
                _revoked.UnionWith(taken);
            }
        }
        else
        {
            window.Revoke(taken);
        }

        KafkaTelemetry.ForgetLag(subscription.GroupId, taken);
    }

    private bool Revoked(TopicPartition partition)
    {
        lock (_revoked)
        {
            return _revoked.Contains(partition);
        }
    }

    /// <summary>The consumer loop: poll, handle (or hand over), store the offset; until stopping or an error.</summary>
    private async Task ConsumeAsync(IConsumer<string, byte[]> consumer, PollThread polls, CancellationToken stoppingToken)
    {
        var lagMeasuredAt = time.GetTimestamp();
        while (!stoppingToken.IsCancellationRequested)
        {
            if (time.GetElapsedTime(lagMeasuredAt) > LagInterval)
            {
                KafkaTelemetry.RecordLag(consumer, subscription.GroupId);
                lagMeasuredAt = time.GetTimestamp();
            }

            if (await PollAsync(consumer, polls) is not { } result)
            {
                continue;
            }

            lock (_revoked)
            {
                _revoked.Clear();
            }

            var paused = false;
            try
            {
                if (await HandleOneAsync(result, WaitInGroup, stoppingToken))
                {
                    StoreOffset(consumer, result);
                }
            }
            finally
            {
                if (paused)
                {
                    Resume(consumer);
                }
            }

            // A wait for the database, in the group: every partition paused, the client polling.
            async Task<bool> WaitInGroup(TimeSpan pause, CancellationToken cancellationToken)
            {
                paused = true;
                return await WaitInGroupAsync(consumer, polls, result, pause, cancellationToken);
            }
        }
    }

    /// <summary>
    /// The consumer loop with <see cref="KafkaSubscription.MessagesAtOnce"/> above 1: up to that
    /// many messages in hand at once, each started as soon as it is polled, after the message of
    /// the same key before it (<see cref="ConsumeWindow"/>). Offsets are stored per partition in
    /// order, as far as every message before is done. While the window is full, the loop waits for
    /// room and polls once a second all the same, so the client stays in the group however long the
    /// messages in hand take (a database outage included) and answers rebalances; what such a poll
    /// brings waits in hand for room. Partitions are never paused: pausing and resuming them around
    /// a full window left one partition of the faulted flash sale unread for good, twice.
    /// </summary>
    private async Task ConsumeWindowAsync(
        IConsumer<string, byte[]> consumer, PollThread polls, ConsumeWindow window, CancellationTokenSource clientStopping, CancellationToken stoppingToken)
    {
        var lagMeasuredAt = time.GetTimestamp();
        var polledAt = time.GetTimestamp();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (time.GetElapsedTime(lagMeasuredAt) > LagInterval)
                {
                    KafkaTelemetry.RecordLag(consumer, subscription.GroupId);
                    lagMeasuredAt = time.GetTimestamp();
                }

                StoreFinished(consumer, window, rethrow: true);
                window.StartWaiting();
                if (window.Full)
                {
                    // Room first, but a poll at least every FullPollInterval all the same, even
                    // while messages keep finishing without freeing a slot for long.
                    var sincePoll = time.GetElapsedTime(polledAt);
                    if (sincePoll < FullPollInterval && await window.WaitForFinishedAsync(FullPollInterval - sincePoll, stoppingToken))
                    {
                        continue;
                    }
                }

                // With room, the next message; when full, a poll all the same (it answers
                // rebalances and counts as a poll): what it brings waits for room. The partitions
                // are never paused, so nothing is put back or resumed.
                var next = await PollAsync(consumer, polls, window.Full ? TimeSpan.Zero : window.InHand == 0 ? PollInterval : BusyPollInterval);
                polledAt = time.GetTimestamp();
                if (next is not null)
                {
                    window.Add(next);
                }
            }
        }
        finally
        {
            // Whatever is in hand ends: on a failure it is cancelled, since nothing polls for its
            // partitions any more (a wait for the database would never learn they were taken away).
            // What finished is stored before the client closes; the rest is read again.
            await clientStopping.CancelAsync();
            await window.DrainAsync();
            StoreFinished(consumer, window, rethrow: false);
        }
    }

    /// <summary>
    /// Stores the offsets the window's finished messages allow. A message that failed beyond its
    /// handler (not by stopping) ends the client, as it would one at a time, unless the loop is
    /// already ending.
    /// </summary>
    private void StoreFinished(IConsumer<string, byte[]> consumer, ConsumeWindow window, bool rethrow)
    {
        Exception? failed = null;
        foreach (var finished in window.TakeFinished())
        {
            if (finished.Store is { } store)
            {
                // The window gives back only partitions still this consumer's.
                Store(consumer, store);
            }
            else if (finished.Abandoned is { } abandoned)
            {
                LogOffsetNotStored(abandoned.Topic, abandoned.Partition.Value, abandoned.Offset.Value, "the partition was revoked");
            }
            else if (finished.Failure is { } failure && !finished.Stopping)
            {
                failed ??= failure;
            }
        }

        if (failed is not null && rethrow)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed);
        }
    }

    /// <summary>A message's wait for the database in a window: the loop keeps the client in the group; false once its partition was taken away.</summary>
    private async Task<bool> WaitOutsideGroupAsync(ConsumeWindow.Line line, TimeSpan pause, CancellationToken stoppingToken)
    {
        var started = time.GetTimestamp();
        while (!line.Revoked)
        {
            // Never a negative delay: Task.Delay reads -1 ms as "forever".
            var left = pause - time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                return true;
            }

            await Task.Delay(left < PollInterval ? left : PollInterval, time, stoppingToken);
        }

        return false;
    }

    /// <summary>One message: handled (or handed over), or skipped when it is another group's retry. Returns whether its offset may be stored.</summary>
    private async Task<bool> HandleOneAsync(ConsumeResult<string, byte[]> result, WaitForDatabase waitForDatabase, CancellationToken stoppingToken)
    {
        if (!retryTopic)
        {
            return await HandleAsync(result, waitForDatabase, attempt: 1, stoppingToken);
        }

        if (Header(result, GroupHeader) != subscription.GroupId)
        {
            // Retry topics are shared by every group of the main topic: take only our own.
            return true;
        }

        await WaitUntilDueAsync(result, stoppingToken);
        return await HandleAsync(result, waitForDatabase, int.TryParse(Header(result, AttemptHeader), CultureInfo.InvariantCulture, out var attempt) ? attempt : 2, stoppingToken);
    }

    /// <summary>
    /// Stores the offset after the message, unless its partition was taken away meanwhile (a
    /// cooperative rebalance, a replica killed nearby): the new owner reads the message again from
    /// the committed offset, and the inbox knows whether it was handled.
    /// </summary>
    private void StoreOffset(IConsumer<string, byte[]> consumer, ConsumeResult<string, byte[]> result)
    {
        if (Revoked(result.TopicPartition))
        {
            LogOffsetNotStored(result.Topic, result.Partition.Value, result.Offset.Value, "the partition was revoked");
            return;
        }

        Store(consumer, result);
    }

    /// <summary>Stores the offset after the message (the caller knows its partition is still this consumer's).</summary>
    private void Store(IConsumer<string, byte[]> consumer, ConsumeResult<string, byte[]> result)
    {
        try
        {
            consumer.StoreOffset(result);
        }
        catch (KafkaException exception) when (!exception.Error.IsFatal)
        {
            LogOffsetNotStored(result.Topic, result.Partition.Value, result.Offset.Value, exception.Error.Reason);
        }
    }

    /// <summary>The next message, or null when none came within the poll interval, at a partition's end, or after an error the client recovers from.</summary>
    private async Task<ConsumeResult<string, byte[]>?> PollAsync(IConsumer<string, byte[]> consumer, PollThread polls, TimeSpan? timeout = null)
    {
        ConsumeResult<string, byte[]>? result;
        try
        {
            // A short poll keeps shutdown prompt without a thread parked in librdkafka.
            result = await polls.RunAsync(() => consumer.Consume(timeout ?? PollInterval));
        }
        catch (ConsumeException exception) when (!exception.Error.IsFatal)
        {
            LogClientError(exception.Error.Code, exception.Error.Reason);
            return null;
        }

        return result is null || result.IsPartitionEOF ? null : result;
    }

    /// <summary>A retry waits out its pause here: the retry partition waits, the main topic does not.</summary>
    private async Task WaitUntilDueAsync(ConsumeResult<string, byte[]> result, CancellationToken stoppingToken)
    {
        if (long.TryParse(Header(result, RetryAtHeader), CultureInfo.InvariantCulture, out var dueMs))
        {
            var wait = DateTimeOffset.FromUnixTimeMilliseconds(dueMs) - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait < retry.MaxDelay ? wait : retry.MaxDelay, time, stoppingToken);
            }
        }
    }

    /// <summary>
    /// Handles the message until it succeeds, is handed over (retry or dead-letter topic), or its
    /// partition is taken away while it waits for the database. Returns whether its offset may be stored.
    /// </summary>
    private async Task<bool> HandleAsync(ConsumeResult<string, byte[]> result, WaitForDatabase waitForDatabase, int attempt, CancellationToken stoppingToken)
    {
        var tags = new KeyValuePair<string, object?>[] { new("topic", subscription.Topic), new("group", subscription.GroupId) };
        var waits = 0;
        while (true)
        {
            if (await AttemptAsync(result, attempt, tags, stoppingToken) is not { } exception)
            {
                return true;
            }

            if (TransientDatabaseFailure.IsCause(exception)
                && (!TransientDatabaseFailure.IsBusy(exception) || waits < TransientDatabaseFailure.MaxBusyWaits))
            {
                // The database is away, not the message at fault: no attempt is charged, and
                // the message waits in place for as long as the outage lasts. A database that
                // answers but times out or deadlocks on this message waits only a while: a
                // statement that always does so must end as an attempt, not stall the partition.
                var pause = TransientDatabaseFailure.Pause(++waits);
                KafkaTelemetry.HandleDeferred.Add(1, tags);
                LogHandlerDeferred(result.Topic, result.Partition.Value, result.Offset.Value, attempt, waits, pause.TotalMilliseconds, exception.GetType().Name, exception.Message);
                if (!await waitForDatabase(pause, stoppingToken))
                {
                    LogAbandoned(result.Topic, result.Partition.Value, result.Offset.Value);
                    return false;
                }

                continue;
            }

            KafkaTelemetry.HandleFailed.Add(1, tags);
            if (exception is RetryLaterException later)
            {
                // Expected while a dependency is away (an open circuit): its reason, not a stack trace per message.
                LogHandlerRetriesLater(result.Topic, result.Partition.Value, result.Offset.Value, attempt, later.Message);
            }
            else
            {
                LogHandlerFailed(exception, result.Topic, result.Partition.Value, result.Offset.Value, attempt);
            }

            var poison = exception is PoisonMessageException or JsonException;
            if (poison || attempt >= subscription.MaxAttempts)
            {
                await HandOverAsync(Topics.DeadLetter(subscription.Topic), result, exception, attempt, dueAt: null, stoppingToken);
                KafkaTelemetry.DeadLettered.Add(1, tags);
                LogDeadLettered(result.Topic, result.Partition.Value, result.Offset.Value, attempt);
                return true;
            }

            var delay = retry.DelayBefore(attempt + 1, exception);
            if (subscription.UseRetryTopic)
            {
                await HandOverAsync(Topics.Retry(subscription.Topic), result, exception, attempt + 1, time.GetUtcNow() + delay, stoppingToken);
                KafkaTelemetry.Retried.Add(1, tags);
                return true;
            }

            await Task.Delay(delay, time, stoppingToken);
            attempt++;
        }
    }

    /// <summary>One call of the handler, in a span of its own; the exception it threw, or null.</summary>
    private async Task<Exception?> AttemptAsync(ConsumeResult<string, byte[]> result, int attempt, KeyValuePair<string, object?>[] tags, CancellationToken stoppingToken)
    {
        using var activity = KafkaTelemetry.StartConsume(result, subscription.GroupId);
        activity?.SetTag("messaging.boxoffice.attempt", attempt);
        var started = time.GetTimestamp();
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var handler = subscription.CreateHandler(scope.ServiceProvider);
            await handler.HandleAsync(result, stoppingToken);
            KafkaTelemetry.Handled.Add(1, tags);
            KafkaTelemetry.Handling(subscription.Topic, "handled", time.GetElapsedTime(started));
            return null;
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, exception.GetType().Name);
            KafkaTelemetry.Handling(subscription.Topic, "failed", time.GetElapsedTime(started));
            return exception;
        }
    }

    /// <summary>
    /// Waits <paramref name="pause"/> without leaving the group: every assigned partition is
    /// paused and the client keeps polling, which returns no message but counts as a poll, so
    /// <c>max.poll.interval.ms</c> never runs out however long the database stays away, and
    /// rebalances are answered meanwhile. Returns false if the message's partition was taken away.
    /// </summary>
    private async Task<bool> WaitInGroupAsync(IConsumer<string, byte[]> consumer, PollThread polls, ConsumeResult<string, byte[]> result, TimeSpan pause, CancellationToken stoppingToken)
    {
        var started = time.GetTimestamp();
        do
        {
            stoppingToken.ThrowIfCancellationRequested();
            // Again on every turn: a rebalance may have added partitions, which come unpaused.
            consumer.Pause(consumer.Assignment);
            // Never a negative timeout: librdkafka would read it as "wait forever".
            var left = pause - time.GetElapsedTime(started);
            var poll = left <= TimeSpan.Zero ? TimeSpan.Zero : left < PollInterval ? left : PollInterval;
            if (await PollAsync(consumer, polls, poll) is { } early)
            {
                // From a partition assigned during the wait (or fetched before the pause): put it
                // back, so it is read again after the wait, in its place.
                consumer.Seek(early.TopicPartitionOffset);
                consumer.Pause([early.TopicPartition]);
            }

            if (Revoked(result.TopicPartition))
            {
                return false;
            }

            await Task.Yield();
        }
        while (time.GetElapsedTime(started) < pause);

        return true;
    }

    private void Resume(IConsumer<string, byte[]> consumer)
    {
        try
        {
            consumer.Resume(consumer.Assignment);
        }
        catch (KafkaException exception) when (!exception.Error.IsFatal)
        {
            // Partitions revoked meanwhile: the next rebalance assigns whatever is ours unpaused.
            LogClientError(exception.Error.Code, exception.Error.Reason);
        }
    }

    /// <summary>
    /// Copies the message to the retry or dead-letter topic with why and when. The offset moves on
    /// only once the broker took the copy: while it does not, keep trying (nothing is skipped).
    /// </summary>
    private async Task HandOverAsync(
        string topic, ConsumeResult<string, byte[]> result, Exception exception, int attempt, DateTimeOffset? dueAt, CancellationToken cancellationToken)
    {
        var headers = new Headers();
        string[] replaced = [AttemptHeader, RetryAtHeader, GroupHeader, ReasonHeader];
        foreach (var header in result.Message.Headers ?? [])
        {
            if (!replaced.Contains(header.Key))
            {
                headers.Add(header.Key, header.GetValueBytes());
            }
        }

        var reason = exception.GetType().FullName + ": " + exception.Message;
        headers.Add(AttemptHeader, Encoding.UTF8.GetBytes(attempt.ToString(CultureInfo.InvariantCulture)));
        headers.Add(GroupHeader, Encoding.UTF8.GetBytes(subscription.GroupId));
        headers.Add(ReasonHeader, Encoding.UTF8.GetBytes(reason));
        if (dueAt is { } due)
        {
            headers.Add(RetryAtHeader, Encoding.UTF8.GetBytes(due.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)));
        }
        else
        {
            headers.Add(DeadLetterReasonHeader, Encoding.UTF8.GetBytes(reason));
            headers.Add(DeadLetterSourceHeader, Encoding.UTF8.GetBytes($"{result.Topic}/{result.Partition.Value}/{result.Offset.Value}"));
            headers.Add(DeadLetterGroupHeader, Encoding.UTF8.GetBytes(subscription.GroupId));
        }

        for (var publishAttempt = 1; ; publishAttempt++)
        {
            try
            {
                await publisher.PublishAsync(topic, result.Message.Key, result.Message.Value, headers, cancellationToken);
                return;
            }
            catch (KafkaException publishFailure) when (!cancellationToken.IsCancellationRequested)
            {
                LogHandOverFailed(publishFailure, topic, result.Topic, result.Partition.Value, result.Offset.Value, publishAttempt);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, publishAttempt))), time, cancellationToken);
            }
        }
    }

    private static string? Header(ConsumeResult<string, byte[]> result, string name) =>
        result.Message.Headers?.TryGetLastBytes(name, out var bytes) == true ? Encoding.UTF8.GetString(bytes) : null;

    [LoggerMessage(Level = LogLevel.Information, Message = "Consuming {Topic} as group {GroupId}")]
    private partial void LogSubscribed(string topic, string groupId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Partitions {Change} in {Topic} as group {GroupId}: {Partitions}")]
    private partial void LogAssignment(string change, string topic, string groupId, string partitions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handling {Topic}/{Partition}@{Offset} failed (attempt {Attempt})")]
    private partial void LogHandlerFailed(Exception exception, string topic, int partition, long offset, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handling {Topic}/{Partition}@{Offset} failed (attempt {Attempt}) and is retried later: {Reason}")]
    private partial void LogHandlerRetriesLater(string topic, int partition, long offset, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Handling {Topic}/{Partition}@{Offset} (attempt {Attempt}) waits for the database (wait {Wait}, {PauseMs} ms): {ExceptionType}: {Reason}")]
    private partial void LogHandlerDeferred(string topic, int partition, long offset, int attempt, int wait, double pauseMs, string exceptionType, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Gave up {Topic}/{Partition}@{Offset} while it waited for the database: the partition was revoked, its new owner reads it again")]
    private partial void LogAbandoned(string topic, int partition, long offset);

    [LoggerMessage(Level = LogLevel.Information, Message = "Did not store the offset of {Topic}/{Partition}@{Offset} ({Reason}): its partition's new owner reads it again")]
    private partial void LogOffsetNotStored(string topic, int partition, long offset, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Moved {Topic}/{Partition}@{Offset} to the dead-letter topic after {Attempt} attempts")]
    private partial void LogDeadLettered(string topic, int partition, long offset, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not hand {Topic}/{Partition}@{Offset} over to {Target} (attempt {Attempt}); retrying")]
    private partial void LogHandOverFailed(Exception exception, string target, string topic, int partition, long offset, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "The consumer of {Topic} as group {GroupId} failed; a new client starts in {PauseSeconds} s")]
    private partial void LogConsumerFailed(Exception exception, string topic, string groupId, double pauseSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing the consumer of {Topic} as group {GroupId} failed")]
    private partial void LogCloseFailed(Exception exception, string topic, string groupId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Kafka client {Level} {Facility}: {Text}")]
    private partial void LogClient(string level, string facility, string text);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka client error {ErrorCode}: {Reason}")]
    private partial void LogClientError(ErrorCode errorCode, string reason);
}

/// <summary>Pauses between attempts of a failed message, under <c>Messaging:Kafka:Retry</c>.</summary>
public sealed class KafkaRetryOptions
{
    /// <summary>The pause before the second attempt; each later one doubles it.</summary>
    public TimeSpan FirstDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    internal TimeSpan DelayBefore(int attempt, Exception failure)
    {
        if (failure is RetryLaterException { After: { } after })
        {
            return after < MaxDelay ? after : MaxDelay;
        }

        var delay = FirstDelay * Math.Pow(2, Math.Max(0, attempt - 2));
        return delay < MaxDelay ? delay : MaxDelay;
    }
}

/// <summary>
/// Thrown by a handler that cannot do its work now but will be able to later (a dependency is
/// away, a circuit is open): the message is retried after <see cref="After"/>, or the usual pause.
/// </summary>
public sealed class RetryLaterException(string message, TimeSpan? after = null, Exception? inner = null) : Exception(message, inner)
{
    public TimeSpan? After { get; } = after;
}
