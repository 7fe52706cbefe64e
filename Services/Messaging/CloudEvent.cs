using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Boxoffice.Contracts;

namespace Boxoffice.Messaging;

/// <summary>
/// The CloudEvents 1.0 JSON envelope (structured mode of the Kafka protocol binding) every
/// integration event travels in. <c>type</c> comes from <see cref="IntegrationEventAttribute"/>,
/// never from a .NET type name; <c>dataschema</c> carries the schema version.
/// </summary>
public sealed record CloudEvent<T>(
    [property: JsonPropertyName("specversion")] string SpecVersion,
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("time")] DateTimeOffset Time,
    [property: JsonPropertyName("datacontenttype")] string DataContentType,
    [property: JsonPropertyName("dataschema")] string DataSchema,
    [property: JsonPropertyName("data")] T Data);

public static class CloudEvent
{
    /// <summary>The Kafka <c>content-type</c> header of a structured-mode CloudEvent.</summary>
    public const string ContentType = "application/cloudevents+json; charset=utf-8";

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
    };

    private static readonly ConcurrentDictionary<Type, IntegrationEventAttribute> Descriptions = new();

    /// <summary>The wire name, topic and version of an integration event type.</summary>
    public static IntegrationEventAttribute Describe(Type eventType) => Descriptions.GetOrAdd(eventType, static type =>
        type.GetCustomAttribute<IntegrationEventAttribute>()
            ?? throw new InvalidOperationException($"{type.Name} has no [IntegrationEvent] attribute: it has no name on the wire."));

    public static byte[] Serialize<T>(T data, Guid id, string source, DateTimeOffset time)
        where T : class, IIntegrationEvent
    {
        var description = Describe(typeof(T));
        var envelope = new CloudEvent<T>(
            "1.0", id, source, description.Type, data.AggregateId, time, "application/json",
            SchemaOf(description), data);
        return JsonSerializer.SerializeToUtf8Bytes(envelope, JsonOptions);
    }

    /// <summary>Reads an envelope; throws <see cref="JsonException"/> when it is not one of type <typeparamref name="T"/>.</summary>
    public static CloudEvent<T> Deserialize<T>(ReadOnlySpan<byte> payload)
        where T : class, IIntegrationEvent
    {
        var envelope = JsonSerializer.Deserialize<CloudEvent<T>>(payload, JsonOptions)
            ?? throw new JsonException("The message is empty.");
        var description = Describe(typeof(T));
        if (envelope.SpecVersion != "1.0" || envelope.Type != description.Type || envelope.Data is null)
        {
            throw new JsonException($"Expected a CloudEvents 1.0 '{description.Type}' event, got '{envelope.Type}' ({envelope.SpecVersion}).");
        }

        return envelope;
    }

    /// <summary>Only the <c>type</c> of an envelope, to route a message before reading its data.</summary>
    public static string? PeekType(ReadOnlySpan<byte> payload) => Peek(payload).Type;

    /// <summary>
    /// The <c>type</c> and <c>id</c> of an envelope in one pass over its top level, without reading
    /// its data: what a consumer needs to route and de-duplicate a message. Null where absent or
    /// not a string (an id that is not a UUID is null too).
    /// </summary>
    public static (string? Type, Guid? Id) Peek(ReadOnlySpan<byte> payload)
    {
        try
        {
            return PeekUnchecked(payload);
        }
        catch (InvalidOperationException)
        {
            // A string that is not valid UTF-8 (or a lone surrogate): not a readable envelope, so
            // no type, and the consumer treats it as poison instead of retrying it.
            return (null, null);
        }
    }

    private static (string? Type, Guid? Id) PeekUnchecked(ReadOnlySpan<byte> payload)
    {
        var reader = new Utf8JsonReader(payload);
        string? type = null;
        Guid? id = null;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return (null, null);
        }

        while ((type is null || id is null) && reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isType = reader.ValueTextEquals("type"u8);
            var isId = reader.ValueTextEquals("id"u8);
            reader.Read();
            if (isType && reader.TokenType == JsonTokenType.String)
            {
                type = reader.GetString();
            }
            else if (isId && reader.TokenType == JsonTokenType.String && reader.TryGetGuid(out var parsed))
            {
                id = parsed;
            }
            else
            {
                reader.Skip();
            }
        }

        return (type, id);
    }

    private static string SchemaOf(IntegrationEventAttribute description) => $"urn:boxoffice:{description.Type}:v{description.Version}";
}
