using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using Confluent.Kafka;

namespace Boxoffice.Messaging;

/// <summary>
/// Traces and metrics of Kafka traffic. The W3C trace context travels in message headers
/// (<c>traceparent</c>, <c>tracestate</c>), so a consumer's span continues the producer's trace.
/// </summary>
public static class KafkaTelemetry
{
    public const string Name = "Boxoffice.Messaging";

    public static readonly ActivitySource Source = new(Name);
    private static readonly Meter Meter = new(Name);

    internal static readonly Counter<long> Produced = Meter.CreateCounter<long>("boxoffice.messaging.produced", "{message}", "Messages acknowledged by the broker.");
    internal static readonly Counter<long> ProduceFailed = Meter.CreateCounter<long>("boxoffice.messaging.produce_failed", "{message}", "Messages the broker did not acknowledge.");
    internal static readonly Counter<long> Handled = Meter.CreateCounter<long>("boxoffice.messaging.handled", "{message}", "Messages handled and committed.");
    internal static readonly Counter<long> HandleFailed = Meter.CreateCounter<long>("boxoffice.messaging.handle_failed", "{message}", "Handler attempts that threw.");
    internal static readonly Counter<long> Retried = Meter.CreateCounter<long>("boxoffice.messaging.retried", "{message}", "Messages moved to the retry topic after a failed attempt.");
    internal static readonly Counter<long> DeadLettered = Meter.CreateCounter<long>("boxoffice.messaging.dead_lettered", "{message}", "Messages moved to the dead-letter topic.");
    internal static readonly Counter<long> Duplicates = Meter.CreateCounter<long>("boxoffice.messaging.duplicates", "{message}", "Redelivered messages the inbox had already handled.");
    internal static readonly Counter<long> HandleDeferred = Meter.CreateCounter<long>(
        "boxoffice.messaging.handle_deferred", "{wait}", "Handler failures caused by the database being away: waited out in place, no attempt charged.");
    internal static readonly Counter<long> ConsumerRestarts = Meter.CreateCounter<long>(
        "boxoffice.messaging.consumer_restarts", "{restart}", "Consumer clients rebuilt after their loop failed.");
    internal static readonly Counter<long> Replayed = Meter.CreateCounter<long>(
        "boxoffice.messaging.replayed", "{message}", "Messages an operator replayed: dead letters copied back to their topic, parked outbox rows released to the relay.");

    /// <summary>
    /// A consumer's counters start at 0 with its tags, so the first failure or dead letter is an
    /// increase Prometheus sees (alerts DeadLettersGrowing and friends), not a series born at 1.
    /// </summary>
    internal static void StartCounting(string topic, string group)
    {
        KeyValuePair<string, object?>[] tags = [new("topic", topic), new("group", group)];
        foreach (var counter in new[] { Handled, HandleFailed, Retried, DeadLettered, Duplicates, HandleDeferred })
        {
            counter.Add(0, tags);
        }
    }

    private static readonly Histogram<double> HandleDuration = Meter.CreateHistogram(
        "boxoffice.messaging.handle.duration", "s", "One handler attempt on one message, by topic and outcome (handled, failed).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    /// <summary>Records one handler attempt's time (inside its consume span: the span is the exemplar).</summary>
    internal static void Handling(string topic, string outcome, TimeSpan elapsed) =>
        HandleDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("topic", topic), new KeyValuePair<string, object?>("outcome", outcome));

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Group, string Topic, int Partition), long> Lags = new();
    private static readonly ObservableGauge<long> ConsumerLag = Meter.CreateObservableGauge(
        "boxoffice.messaging.consumer_lag",
        () => Lags.Select(lag => new Measurement<long>(lag.Value,
            new KeyValuePair<string, object?>("group", lag.Key.Group),
            new KeyValuePair<string, object?>("topic", lag.Key.Topic),
            new KeyValuePair<string, object?>("partition", lag.Key.Partition))),
        "{message}",
        "Messages of a partition not yet consumed by this process's consumer of the group (high watermark minus position).");

    /// <summary>Lag of every partition the consumer holds, from the watermarks it already knows (no broker round trip).</summary>
    internal static void RecordLag(IConsumer<string, byte[]> consumer, string groupId)
    {
        _ = ConsumerLag;
        foreach (var partition in consumer.Assignment)
        {
            var high = consumer.GetWatermarkOffsets(partition).High;
            var position = consumer.Position(partition);
            if (high != Offset.Unset && position != Offset.Unset)
            {
                Lags[(groupId, partition.Topic, partition.Partition.Value)] = Math.Max(0, high.Value - position.Value);
            }
        }
    }

    internal static void ForgetLag(string groupId, IEnumerable<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            Lags.TryRemove((groupId, partition.Topic, partition.Partition.Value), out _);
        }
    }

    /// <summary>A producer span, child of <paramref name="parent"/> when given (an outbox row's recorded context), else of the ambient span.</summary>
    internal static Activity? StartProduce(string topic, ActivityContext parent = default)
    {
        var activity = parent == default
            ? Source.StartActivity($"{topic} publish", ActivityKind.Producer)
            : Source.StartActivity($"{topic} publish", ActivityKind.Producer, parent);
        activity?.SetTag("messaging.system", "kafka");
        activity?.SetTag("messaging.operation.type", "send");
        activity?.SetTag("messaging.destination.name", topic);
        return activity;
    }

    internal static Activity? StartConsume(ConsumeResult<string, byte[]> result, string groupId)
    {
        var parent = ExtractContext(result.Message.Headers);
        var activity = Source.StartActivity($"{result.Topic} process", ActivityKind.Consumer, parent);
        activity?.SetTag("messaging.system", "kafka");
        activity?.SetTag("messaging.operation.type", "process");
        activity?.SetTag("messaging.destination.name", result.Topic);
        activity?.SetTag("messaging.consumer.group.name", groupId);
        activity?.SetTag("messaging.destination.partition.id", result.Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        activity?.SetTag("messaging.kafka.offset", result.Offset.Value);
        return activity;
    }

    /// <summary>
    /// Writes the trace context into the headers: the given activity's, else the parent's (a span
    /// not recorded because its trace is not sampled still passes its trace on), else the ambient one.
    /// </summary>
    internal static void InjectContext(Activity? activity, Headers headers, ActivityContext parent = default)
    {
        if (activity is null && parent != default)
        {
            headers.Remove("traceparent");
            headers.Add("traceparent", Encoding.UTF8.GetBytes(
                $"00-{parent.TraceId.ToHexString()}-{parent.SpanId.ToHexString()}-{((parent.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? "01" : "00")}"));
            if (!string.IsNullOrEmpty(parent.TraceState))
            {
                headers.Remove("tracestate");
                headers.Add("tracestate", Encoding.UTF8.GetBytes(parent.TraceState));
            }

            return;
        }

        var context = activity ?? Activity.Current;
        if (context is null)
        {
            return;
        }

        DistributedContextPropagator.Current.Inject(context, headers, static (carrier, name, value) =>
        {
            var target = (Headers)carrier!;
            target.Remove(name);
            target.Add(name, Encoding.UTF8.GetBytes(value));
        });
    }

    /// <summary>The producer's trace context from the headers, or default when there is none.</summary>
    public static ActivityContext ExtractContext(Headers? headers)
    {
        if (headers is null)
        {
            return default;
        }

        DistributedContextPropagator.Current.ExtractTraceIdAndState(headers, static (carrier, name, out value, out values) =>
        {
            values = null;
            value = ((Headers)carrier!).TryGetLastBytes(name, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;
        }, out var traceParent, out var traceState);

        return ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var context) ? context : default;
    }
}
