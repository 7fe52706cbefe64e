namespace Boxoffice.Identity.Data;

/// <summary>
/// A key of the token server, shared by every replica and kept across restarts: an RSA key, or the
/// server's own secret (<see cref="Internal"/>). The private key or secret is stored protected by
/// ASP.NET Core Data Protection, whose key ring lives in the same database.
/// </summary>
internal sealed class SigningKey
{
    public const string Signing = "signing";
    public const string Encryption = "encryption";

    /// <summary>
    /// 64 random bytes for the tokens only identity reads (authorization codes, refresh tokens):
    /// the first 32 sign them (HMAC-SHA256), the last 32 wrap their content keys (AES-256 key
    /// wrap). See ADR 0018.
    /// </summary>
    public const string Internal = "internal";

    public required string Id { get; set; }

    /// <summary>
    /// <see cref="Signing"/> (access and identity tokens), <see cref="Internal"/> (codes and refresh
    /// tokens), or <see cref="Encryption"/> (codes and refresh tokens made before there was an
    /// internal key, which still decrypt with it).
    /// </summary>
    public required string Purpose { get; set; }

    public required string ProtectedPrivateKey { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>
    /// When a signing key starts signing; until then it is only published (JWKS), so validators
    /// have it before the first token it signs. Null: at <see cref="CreatedAt"/> (keys from before rollover).
    /// </summary>
    public DateTimeOffset? ActivatesAt { get; set; }

    public DateTimeOffset Activation => ActivatesAt ?? CreatedAt;
}
