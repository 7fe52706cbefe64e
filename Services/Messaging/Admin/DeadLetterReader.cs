using System.Globalization;
using System.Text;
using System.Text.Json;
using Boxoffice.Contracts;
using Confluent.Kafka;

namespace Boxoffice.Messaging.Admin;

/// <summary>A dead-letter topic's partition and its watermarks: <c>high - low</c> records are kept.</summary>
internal sealed record DeadLetterPartition(int Partition, long Low, long High);

/// <summary>One dead-lettered record as operators see it: where it is, what it is, and why it is there.</summary>
internal sealed record DeadLetter(
    int Partition, long Offset, DateTimeOffset? Timestamp, string? Key, string? Type, Guid? Id,
    string? Reason, string? Source, string? Group, int? Attempt, int Bytes);

/// <summary>The newest records of a dead-letter topic; <c>Complete</c> is false when Kafka did not hand them all over in time.</summary>
internal sealed record DeadLetterList(string Topic, string DeadLetterTopic, IReadOnlyList<DeadLetterPartition> Partitions, IReadOnlyList<DeadLetter> Records, bool Complete);

/// <summary>Where a replayed dead letter went: its new place on the main topic.</summary>
internal sealed record DeadLetterReplayed(string Topic, int Partition, long Offset, string From);

/// <summary>
/// Reads dead-letter topics for operators, and copies a record back to its main topic. Each read
/// uses a client of its own that assigns partitions itself: it never joins a consumer group (the
/// group id it must name is unique and never used) and never commits, so it moves no service's
/// offsets. At most two reads run at once per process.
/// </summary>
internal sealed class DeadLetterReader(Func<ConsumerConfig> consumerConfig, IProducer<string, byte[]> producer, KafkaPublisher publisher, TimeProvider time)
{
    /// <summary>The header a replayed copy carries: the dead letter it was copied from (<c>topic/partition/offset</c>).</summary>
    internal const string ReplayedFromHeader = "boxoffice-replayed-from";

    private const int MaxText = 2_000;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Headers of a retry or dead-letter copy: a replayed copy starts over without them.</summary>
    private static readonly string[] HandOverHeaders =
    [
        KafkaConsumerService.AttemptHeader, KafkaConsumerService.RetryAtHeader, KafkaConsumerService.GroupHeader, KafkaConsumerService.ReasonHeader,
        KafkaConsumerService.DeadLetterReasonHeader, KafkaConsumerService.DeadLetterSourceHeader, KafkaConsumerService.DeadLetterGroupHeader,
        ReplayedFromHeader,
    ];

    private readonly SemaphoreSlim _reads = new(2);

    /// <summary>The newest <paramref name="limit"/> records of <paramref name="topic"/>'s dead-letter topic, newest first.</summary>
    public Task<DeadLetterList> ListAsync(string topic, int limit, CancellationToken cancellationToken) =>
        ExclusiveAsync(() => List(topic, limit, cancellationToken), cancellationToken);

    /// <summary>
    /// Copies the dead letter at <paramref name="partition"/>/<paramref name="offset"/> back to
    /// <paramref name="topic"/>, with its key, value and headers but none of the retry and
    /// dead-letter ones; null when there is no such record.
    /// </summary>
    public async Task<DeadLetterReplayed?> ReplayAsync(string topic, int partition, long offset, CancellationToken cancellationToken)
    {
        var record = await ExclusiveAsync(() => ReadOne(Topics.DeadLetter(topic), partition, offset, cancellationToken), cancellationToken);
        if (record is null)
        {
            return null;
        }

        var from = $"{record.Topic}/{record.Partition.Value}/{record.Offset.Value}";
        var headers = new Headers();
        foreach (var header in record.Message.Headers ?? [])
        {
            if (!HandOverHeaders.Contains(header.Key, StringComparer.Ordinal))
            {
                headers.Add(header.Key, header.GetValueBytes());
            }
        }

        headers.Add(ReplayedFromHeader, Encoding.UTF8.GetBytes(from));
        var copy = await publisher.PublishAsync(topic, record.Message.Key ?? "", record.Message.Value, headers, cancellationToken);
        return new DeadLetterReplayed(topic, copy.Partition.Value, copy.Offset.Value, from);
    }

    private async Task<T> ExclusiveAsync<T>(Func<T> read, CancellationToken cancellationToken)
    {
        await _reads.WaitAsync(cancellationToken);
        try
        {
            // The client blocks while it waits for the broker: not on a request's thread.
            return await Task.Run(read, cancellationToken);
        }
        finally
        {
            _reads.Release();
        }
    }

    private DeadLetterList List(string topic, int limit, CancellationToken cancellationToken)
    {
        var deadLetterTopic = Topics.DeadLetter(topic);
        using var consumer = NewConsumer();
        var partitions = Watermarks(consumer, deadLetterTopic);
        var starts = partitions
            .Where(partition => partition.High > partition.Low)
            .Select(partition => new TopicPartitionOffset(deadLetterTopic, partition.Partition, Math.Max(partition.Low, partition.High - limit)))
            .ToList();
        var open = partitions.Where(partition => partition.High > partition.Low).ToDictionary(partition => partition.Partition, partition => partition.High);
        var records = new List<DeadLetter>();
        if (starts.Count > 0)
        {
            consumer.Assign(starts);
            var started = time.GetTimestamp();
            while (open.Count > 0 && time.GetElapsedTime(started) < ReadTimeout)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is not { } result)
                {
                    continue;
                }

                if (!result.IsPartitionEOF)
                {
                    records.Add(Describe(result));
                }

                if (result.IsPartitionEOF || (open.TryGetValue(result.Partition.Value, out var high) && result.Offset.Value >= high - 1))
                {
                    open.Remove(result.Partition.Value);
                }
            }
        }

        var newest = records.OrderByDescending(record => record.Timestamp).ThenByDescending(record => record.Offset).Take(limit).ToList();
        return new DeadLetterList(topic, deadLetterTopic, partitions, newest, open.Count == 0);
    }

    private ConsumeResult<string, byte[]>? ReadOne(string deadLetterTopic, int partition, long offset, CancellationToken cancellationToken)
    {
        using var consumer = NewConsumer();
        var marks = Watermarks(consumer, deadLetterTopic).SingleOrDefault(one => one.Partition == partition);
        if (marks is null || offset < marks.Low || offset >= marks.High)
        {
            return null;
        }

        consumer.Assign(new TopicPartitionOffset(deadLetterTopic, partition, offset));
        var started = time.GetTimestamp();
        while (time.GetElapsedTime(started) < ReadTimeout)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is not { } result)
            {
                continue;
            }

            // Past the asked offset (a gap Kafka left, or the end): there is no such record.
            return !result.IsPartitionEOF && result.Offset.Value == offset ? result : null;
        }

        throw new KafkaException(new Error(ErrorCode.Local_TimedOut, $"{deadLetterTopic}/{partition}@{offset} was not read within {ReadTimeout.TotalSeconds} s."));
    }

    /// <summary>The topic's partitions with their watermarks; none when the topic does not exist (nothing was ever dead-lettered).</summary>
    private List<DeadLetterPartition> Watermarks(IConsumer<string, byte[]> consumer, string deadLetterTopic)
    {
        // Metadata of every topic, not of this one: asking for one topic by name may create it.
        using var admin = new DependentAdminClientBuilder(producer.Handle).Build();
        var topic = admin.GetMetadata(RequestTimeout).Topics.SingleOrDefault(one => one.Topic == deadLetterTopic && one.Error.Code == ErrorCode.NoError);
        return topic is null
            ? []
            : [.. topic.Partitions.OrderBy(partition => partition.PartitionId).Select(partition =>
            {
                var marks = consumer.QueryWatermarkOffsets(new TopicPartition(deadLetterTopic, partition.PartitionId), RequestTimeout);
                return new DeadLetterPartition(partition.PartitionId, marks.Low.Value, marks.High.Value);
            })];
    }

    private IConsumer<string, byte[]> NewConsumer()
    {
        var config = consumerConfig();
        config.GroupId = $"boxoffice-dead-letter-reader-{Guid.NewGuid():N}";
        config.EnableAutoCommit = false;
        config.EnableAutoOffsetStore = false;
        config.EnablePartitionEof = true;
        config.AutoOffsetReset = AutoOffsetReset.Earliest;
        return new ConsumerBuilder<string, byte[]>(config).SetLogHandler((_, _) => { }).Build();
    }

    private static DeadLetter Describe(ConsumeResult<string, byte[]> result)
    {
        string? type = null;
        Guid? id = null;
        try
        {
            (type, id) = CloudEvent.Peek(result.Message.Value);
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException or ArgumentException)
        {
            // Not JSON, or text that is not valid UTF-8: often why it is here.
        }

        return new DeadLetter(
            result.Partition.Value,
            result.Offset.Value,
            result.Message.Timestamp.Type == TimestampType.NotAvailable ? null : new DateTimeOffset(result.Message.Timestamp.UtcDateTime),
            Cut(result.Message.Key),
            Cut(type),
            id,
            Cut(Header(result, KafkaConsumerService.DeadLetterReasonHeader)),
            Cut(Header(result, KafkaConsumerService.DeadLetterSourceHeader)),
            Cut(Header(result, KafkaConsumerService.DeadLetterGroupHeader)),
            int.TryParse(Header(result, KafkaConsumerService.AttemptHeader), CultureInfo.InvariantCulture, out var attempt) ? attempt : null,
            result.Message.Value?.Length ?? 0);
    }

    private static string? Header(ConsumeResult<string, byte[]> result, string name) =>
        result.Message.Headers?.TryGetLastBytes(name, out var bytes) == true ? Encoding.UTF8.GetString(bytes) : null;

    /// <summary>Text from the message (a key, a reason that quotes what was sent) is shown, never more than 2,000 characters of it.</summary>
    private static string? Cut(string? text) => text is { Length: > MaxText } ? text[..MaxText] + "…" : text;
}
