using System.Security.Cryptography;
using System.Text;

namespace Boxoffice;

/// <summary>
/// Checking a key a caller presents (an API key, an internal key) against the configured one, in
/// time that tells nothing about the key: SHA-256 digests, of equal length whatever was sent, are
/// compared in constant time. The one way services compare secrets.
/// </summary>
public static class SecretKeys
{
    /// <summary>The digest a key is compared by; computed once for a configured key.</summary>
    public static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>Whether <paramref name="presented"/> is the key whose digest is <paramref name="expectedDigest"/>.</summary>
    public static bool Matches(string? presented, byte[] expectedDigest) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(Digest(presented), expectedDigest);

    /// <summary>Whether <paramref name="presented"/> is <paramref name="expected"/>; an empty configured key matches nothing.</summary>
    public static bool Matches(string? presented, string expected) =>
        expected.Length > 0 && Matches(presented, Digest(expected));
}
