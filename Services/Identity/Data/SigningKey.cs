namespace Boxoffice.Identity.Data;

/// <summary>
/// An RSA key of the token server, shared by every replica and kept across restarts. The private
/// key is stored protected by ASP.NET Core Data Protection, whose key ring lives in the same database.
/// </summary>
internal sealed class SigningKey
{
    public const string Signing = "signing";
    public const string Encryption = "encryption";

    public required string Id { get; set; }

    /// <summary><see cref="Signing"/> (access and identity tokens) or <see cref="Encryption"/> (codes and refresh tokens).</summary>
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
