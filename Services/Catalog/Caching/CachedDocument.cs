using System.Buffers;
using System.Buffers.Binary;
using System.ComponentModel;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Caching.Hybrid;

namespace Boxoffice.Catalog.Caching;

/// <summary>
/// A read answer as it is sent: the JSON body and its strong ETag, computed once when the cache
/// is filled, so a cache hit costs no serialization and no hashing. Immutable, so HybridCache's
/// in-memory level hands out the same instance instead of a copy. A missing resource is cached
/// too (<see cref="NotFound"/>): a flood of unknown ids does not reach the database either.
/// </summary>
[ImmutableObject(true)]
internal sealed class CachedDocument(bool found, string eTag, byte[] body)
{
    public static readonly CachedDocument NotFound = new(false, "", []);

    public bool Found { get; } = found;

    public string ETag { get; } = eTag;

    public byte[] Body { get; } = body;

    public static CachedDocument From<T>(T? value, JsonSerializerOptions options)
    {
        if (value is null)
        {
            return NotFound;
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(value, options);
        return new CachedDocument(true, $"\"{Convert.ToHexStringLower(SHA256.HashData(body), 0, 16)}\"", body);
    }
}

/// <summary>How a <see cref="CachedDocument"/> is stored in Redis: a found flag, the ETag and the body, no JSON around JSON.</summary>
internal sealed class CachedDocumentSerializer : IHybridCacheSerializer<CachedDocument>
{
    public CachedDocument Deserialize(ReadOnlySequence<byte> source)
    {
        var bytes = source.IsSingleSegment ? source.FirstSpan : source.ToArray();
        if (bytes.Length < 3)
        {
            throw new InvalidDataException("A cached catalog document is truncated.");
        }

        var found = bytes[0] == 1;
        var eTagLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[1..3]);
        var eTag = Encoding.ASCII.GetString(bytes.Slice(3, eTagLength));
        return found ? new CachedDocument(true, eTag, bytes[(3 + eTagLength)..].ToArray()) : CachedDocument.NotFound;
    }

    public void Serialize(CachedDocument value, IBufferWriter<byte> target)
    {
        var eTagLength = Encoding.ASCII.GetByteCount(value.ETag);
        var span = target.GetSpan(3 + eTagLength + value.Body.Length);
        span[0] = value.Found ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt16LittleEndian(span[1..3], (ushort)eTagLength);
        Encoding.ASCII.GetBytes(value.ETag, span[3..]);
        value.Body.CopyTo(span[(3 + eTagLength)..]);
        target.Advance(3 + eTagLength + value.Body.Length);
    }
}
