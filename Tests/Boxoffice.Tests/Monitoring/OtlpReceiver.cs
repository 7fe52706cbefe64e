using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Boxoffice.Tests.Monitoring;

/// <summary>A span as a service exported it over OTLP.</summary>
internal sealed record ReceivedSpan(string Service, ActivityTraceId TraceId, ActivitySpanId SpanId, ActivitySpanId? ParentSpanId, string Name, ActivityKind Kind);

/// <summary>A log record as a service exported it over OTLP, with the trace it was written in.</summary>
internal sealed record ReceivedLog(string Service, ActivityTraceId? TraceId, ActivitySpanId? SpanId, string Category, string Body);

/// <summary>
/// An OTLP/HTTP (protobuf) receiver in the test process, which every service of the test app exports
/// its traces and logs to, as it would to the dashboard. It keeps only what belongs to the traces a
/// test watches (<see cref="Watch"/>): the rest of the suite's telemetry is read and dropped.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly ConcurrentDictionary<ActivityTraceId, byte> _watched = new();
    private readonly ConcurrentBag<ReceivedSpan> _spans = [];
    private readonly ConcurrentBag<ReceivedLog> _logs = [];
    private WebApplication? _app;

    /// <summary>Where services send (OTEL_EXPORTER_OTLP_ENDPOINT; the signal's path is added by the exporter).</summary>
    public Uri Endpoint { get; private set; } = null!;

    public static async Task<OtlpReceiver> StartAsync(CancellationToken cancellationToken)
    {
        var receiver = new OtlpReceiver();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = 64 * 1024 * 1024);
        var app = builder.Build();
        app.MapPost("/v1/traces", receiver.TracesAsync);
        app.MapPost("/v1/logs", receiver.LogsAsync);
        app.MapPost("/v1/metrics", static () => Results.Ok());
        await app.StartAsync(cancellationToken);
        receiver._app = app;
        receiver.Endpoint = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return receiver;
    }

    /// <summary>Keeps the spans and logs of <paramref name="traceId"/> from now on.</summary>
    public void Watch(ActivityTraceId traceId) => _watched.TryAdd(traceId, 0);

    internal IReadOnlyList<ReceivedSpan> Spans(ActivityTraceId traceId) => [.. _spans.Where(span => span.TraceId == traceId)];

    internal IReadOnlyList<ReceivedLog> Logs(ActivityTraceId traceId) => [.. _logs.Where(log => log.TraceId == traceId)];

    private async Task<IResult> TracesAsync(HttpRequest request)
    {
        if (await WatchedBodyAsync(request) is { } body)
        {
            foreach (var span in OtlpMessages.Spans(body).Where(span => _watched.ContainsKey(span.TraceId)))
            {
                _spans.Add(span);
            }
        }

        return Results.Ok();
    }

    private async Task<IResult> LogsAsync(HttpRequest request)
    {
        if (await WatchedBodyAsync(request) is { } body)
        {
            foreach (var log in OtlpMessages.Logs(body).Where(log => log.TraceId is { } id && _watched.ContainsKey(id)))
            {
                _logs.Add(log);
            }
        }

        return Results.Ok();
    }

    /// <summary>The export's bytes when a watched trace id is in them (a byte search, before any decoding), else null.</summary>
    private async Task<byte[]?> WatchedBodyAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        if (_watched.IsEmpty)
        {
            return null;
        }

        var body = buffer.ToArray();
        Span<byte> id = stackalloc byte[16];
        foreach (var traceId in _watched.Keys)
        {
            traceId.CopyTo(id);
            if (body.AsSpan().IndexOf(id) >= 0)
            {
                return body;
            }
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}

/// <summary>
/// Just enough of the protobuf wire format to read OTLP's ExportTraceServiceRequest and
/// ExportLogsServiceRequest (opentelemetry-proto, trace/v1 and logs/v1): resources' service.name,
/// spans' ids, names and kinds, log records' trace context, category and body.
/// </summary>
internal static class OtlpMessages
{
    public static IEnumerable<ReceivedSpan> Spans(byte[] request)
    {
        foreach (var resourceSpans in Messages(request, 1))
        {
            var service = ServiceName(resourceSpans);
            foreach (var span in Messages(resourceSpans, 2).SelectMany(scopeSpans => Messages(scopeSpans, 2)))
            {
                var fields = Fields(span).ToList();
                var parent = Bytes(fields, 4);
                yield return new ReceivedSpan(
                    service,
                    ActivityTraceId.CreateFromBytes(Bytes(fields, 1)),
                    ActivitySpanId.CreateFromBytes(Bytes(fields, 2)),
                    parent is { Length: 8 } ? ActivitySpanId.CreateFromBytes(parent) : null,
                    Text(Bytes(fields, 5)),
                    // OTLP's SpanKind is ActivityKind plus one (0 is unspecified).
                    (ActivityKind)Math.Max(0, (int)fields.FirstOrDefault(field => field.Number == 6).Value - 1));
            }
        }
    }

    public static IEnumerable<ReceivedLog> Logs(byte[] request)
    {
        foreach (var resourceLogs in Messages(request, 1))
        {
            var service = ServiceName(resourceLogs);
            foreach (var scopeLogs in Messages(resourceLogs, 2))
            {
                var category = Text(Bytes(Fields(Bytes(Fields(scopeLogs).ToList(), 1)).ToList(), 1));
                foreach (var record in Messages(scopeLogs, 2))
                {
                    var fields = Fields(record).ToList();
                    var traceId = Bytes(fields, 9);
                    var spanId = Bytes(fields, 10);
                    yield return new ReceivedLog(
                        service,
                        traceId is { Length: 16 } ? ActivityTraceId.CreateFromBytes(traceId) : null,
                        spanId is { Length: 8 } ? ActivitySpanId.CreateFromBytes(spanId) : null,
                        category,
                        Text(Bytes(Fields(Bytes(fields, 5)).ToList(), 1)));
                }
            }
        }
    }

    /// <summary>The resource's <c>service.name</c> attribute (Resource = field 1; its attributes = field 1, KeyValue{key = 1, value = AnyValue{string = 1}}).</summary>
    private static string ServiceName(byte[] resourceMessage)
    {
        var resource = Bytes(Fields(resourceMessage).ToList(), 1);
        foreach (var attribute in Messages(resource, 1))
        {
            var keyValue = Fields(attribute).ToList();
            if (Text(Bytes(keyValue, 1)) == "service.name")
            {
                return Text(Bytes(Fields(Bytes(keyValue, 2)).ToList(), 1));
            }
        }

        return "";
    }

    /// <summary>The embedded messages (or bytes) of field <paramref name="number"/>, in order.</summary>
    private static IEnumerable<byte[]> Messages(byte[] message, int number) =>
        Fields(message).Where(field => field.Number == number && field.Bytes is not null).Select(field => field.Bytes!);

    /// <summary>The bytes of the first field <paramref name="number"/>; empty when absent (protobuf's default).</summary>
    private static byte[] Bytes(List<Field> fields, int number) =>
        fields.FirstOrDefault(field => field.Number == number && field.Bytes is not null).Bytes ?? [];

    private static string Text(byte[]? bytes) => bytes is null ? "" : System.Text.Encoding.UTF8.GetString(bytes);

    private readonly record struct Field(int Number, ulong Value, byte[]? Bytes);

    /// <summary>The message's fields in order: varints and fixed numbers as values, length-delimited ones as bytes.</summary>
    private static IEnumerable<Field> Fields(byte[] message)
    {
        var position = 0;
        while (position < message.Length)
        {
            var key = Varint(message, ref position);
            var number = (int)(key >> 3);
            switch (key & 7)
            {
                case 0:
                    yield return new Field(number, Varint(message, ref position), null);
                    break;
                case 1:
                    yield return new Field(number, BitConverter.ToUInt64(message, position), null);
                    position += 8;
                    break;
                case 2:
                    var length = (int)Varint(message, ref position);
                    yield return new Field(number, 0, message[position..(position + length)]);
                    position += length;
                    break;
                case 5:
                    yield return new Field(number, BitConverter.ToUInt32(message, position), null);
                    position += 4;
                    break;
                default:
                    throw new InvalidDataException($"Protobuf wire type {key & 7} is not one OTLP uses.");
            }
        }
    }

    private static ulong Varint(byte[] message, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var next = message[position++];
            value |= (ulong)(next & 0x7F) << shift;
            if (next < 0x80)
            {
                return value;
            }
        }
    }
}
