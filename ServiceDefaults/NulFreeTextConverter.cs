using System.Text.Json;
using System.Text.Json.Serialization;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Refuses a JSON text value holding NUL (which JSON can carry as <c>\u0000</c>) as the body is
/// read, so the answer is a 400 naming the field (<see cref="BadRequestExceptionHandler"/>) and
/// the text never reaches PostgreSQL, which cannot store it. PostgreSQL's refusal used to be the
/// check, and it costs more than a 400: it spoils the pooled connection's prepared statement for
/// the next request (see Boxoffice.Postgres's PooledConnections.ForgetPrepared). A value without
/// escapes cannot hold NUL, so only escaped ones are searched.
/// </summary>
internal sealed class NulFreeTextConverter : JsonConverter<string>
{
    private const string Refusal = "A text value holds a NUL character (\\u0000), which cannot be stored.";

    public override bool HandleNull => false;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String ? Checked(ref reader) : throw new JsonException("Expected a text value.");

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Checked(ref reader);

    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WritePropertyName(value);

    private static string Checked(ref Utf8JsonReader reader)
    {
        var text = reader.GetString()!;
        return reader.ValueIsEscaped && text.Contains('\0') ? throw new JsonException(Refusal) : text;
    }
}
