using System.Text;
using Boxoffice.Contracts;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Boxoffice.Messaging;

/// <summary>What one consumer subscribes to.</summary>
public sealed record KafkaSubscription(string Topic, string GroupId, Type HandlerType, int MaxAttempts = 3);

/// <summary>
/// Consumes one topic for one handler. Commit policy: a message's offset is stored only after its
/// handler succeeded (or, after <see cref="KafkaSubscription.MaxAttempts"/> failures, after it was
/// parked on the dead-letter topic with the reason in its headers), and stored offsets are
/// committed in the background and on shutdown. A poison message therefore never blocks its
/// partition, and nothing is skipped unhandled.
/// </summary>
internal sealed partial class KafkaConsumerService(
    KafkaSubscription subscription,
    ConsumerConfig config,
    IServiceScopeFactory scopes,
    KafkaPublisher publisher,
    TimeProvider time,
    ILogger<KafkaConsumerService> logger) : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Leave the host's start-up path before the first (blocking) poll.
        await Task.Yield();

        using var consumer = new ConsumerBuilder<string, byte[]>(config)
            .SetLogHandler((_, message) => LogClient(message.Level.ToString(), message.Facility, message.Message))
            .SetErrorHandler((_, error) => LogClientError(error.Code, error.Reason))
            .Build();
        consumer.Subscribe(subscription.Topic);
        LogSubscribed(subscription.Topic, subscription.GroupId);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                ConsumeResult<string, byte[]>? result;
                try
                {
                    // A short poll keeps shutdown prompt without a thread parked in librdkafka.
                    result = consumer.Consume(PollInterval);
                }
                catch (ConsumeException exception) when (!exception.Error.IsFatal)
                {
                    LogClientError(exception.Error.Code, exception.Error.Reason);
                    continue;
                }

                if (result is null || result.IsPartitionEOF)
                {
                    continue;
                }

                await HandleAsync(result, stoppingToken);
                consumer.StoreOffset(result);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // Commits what was stored and leaves the group, so partitions move on without a timeout.
            consumer.Close();
        }
    }

    private async Task HandleAsync(ConsumeResult<string, byte[]> result, CancellationToken stoppingToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var activity = KafkaTelemetry.StartConsume(result, subscription.GroupId);
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var handler = (IKafkaMessageHandler)scope.ServiceProvider.GetRequiredService(subscription.HandlerType);
                await handler.HandleAsync(result, stoppingToken);
                KafkaTelemetry.Handled.Add(1, new KeyValuePair<string, object?>("topic", result.Topic));
                return;
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, exception.GetType().Name);
                KafkaTelemetry.HandleFailed.Add(1, new KeyValuePair<string, object?>("topic", result.Topic));
                LogHandlerFailed(exception, result.Topic, result.Partition.Value, result.Offset.Value, attempt);
                if (attempt >= subscription.MaxAttempts)
                {
                    await DeadLetterAsync(result, exception, stoppingToken);
                    return;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200 * Math.Pow(2, attempt - 1)), time, stoppingToken);
            }
        }
    }

    private async Task DeadLetterAsync(ConsumeResult<string, byte[]> result, Exception exception, CancellationToken cancellationToken)
    {
        var headers = new Headers();
        foreach (var header in result.Message.Headers ?? [])
        {
            headers.Add(header.Key, header.GetValueBytes());
        }

        headers.Add("boxoffice-dlq-reason", Encoding.UTF8.GetBytes(exception.GetType().FullName + ": " + exception.Message));
        headers.Add("boxoffice-dlq-source", Encoding.UTF8.GetBytes($"{result.Topic}/{result.Partition.Value}/{result.Offset.Value}"));
        headers.Add("boxoffice-dlq-group", Encoding.UTF8.GetBytes(subscription.GroupId));

        // The offset moves on only once the message is safe on the dead-letter topic: while the
        // broker does not take it, keep trying (the partition waits; nothing is skipped).
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await publisher.PublishAsync(Topics.DeadLetter(result.Topic), result.Message.Key, result.Message.Value, headers, cancellationToken);
                LogDeadLettered(result.Topic, result.Partition.Value, result.Offset.Value);
                return;
            }
            catch (KafkaException publishFailure) when (!cancellationToken.IsCancellationRequested)
            {
                LogDeadLetterFailed(publishFailure, result.Topic, result.Partition.Value, result.Offset.Value, attempt);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, attempt))), time, cancellationToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consuming {Topic} as group {GroupId}")]
    private partial void LogSubscribed(string topic, string groupId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handling {Topic}/{Partition}@{Offset} failed (attempt {Attempt})")]
    private partial void LogHandlerFailed(Exception exception, string topic, int partition, long offset, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Moved {Topic}/{Partition}@{Offset} to the dead-letter topic")]
    private partial void LogDeadLettered(string topic, int partition, long offset);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not move {Topic}/{Partition}@{Offset} to the dead-letter topic (attempt {Attempt}); retrying")]
    private partial void LogDeadLetterFailed(Exception exception, string topic, int partition, long offset, int attempt);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Kafka client {Level} {Facility}: {Text}")]
    private partial void LogClient(string level, string facility, string text);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka client error {ErrorCode}: {Reason}")]
    private partial void LogClientError(ErrorCode errorCode, string reason);
}
