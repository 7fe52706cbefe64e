namespace Boxoffice.Identity.Account;

/// <summary>How passwords are hashed: ASP.NET Core Identity's PBKDF2 (format v3, HMAC-SHA512).</summary>
internal static class PasswordHashing
{
    /// <summary>OWASP's Password Storage Cheat Sheet figure for PBKDF2-HMAC-SHA512 (2023).</summary>
    public const int Iterations = 210_000;
}
