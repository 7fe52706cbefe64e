using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Boxoffice.Identity.Account;

/// <summary>How passwords are hashed: ASP.NET Core Identity's PBKDF2 (format v3, HMAC-SHA512).</summary>
internal static class PasswordHashing
{
    /// <summary>OWASP's Password Storage Cheat Sheet figure for PBKDF2-HMAC-SHA512 (2023).</summary>
    public const int Iterations = 210_000;

    private static readonly byte[] PaddingSalt = new byte[16];

    /// <summary>
    /// The PBKDF2 iterations a check of <paramref name="storedHash"/> costs less than a check of a
    /// hash made today: none for a current hash; the difference for a v3 hash made with fewer
    /// (ASP.NET Core's default was 100,000); all of today's for anything else (format v2's 1,000
    /// iterations of HMAC-SHA1, or a hash that does not parse).
    /// </summary>
    public static int MissingIterations(string? storedHash)
    {
        if (storedHash is null || storedHash.Length > 1024)
        {
            return Iterations;
        }

        var bytes = new byte[storedHash.Length];
        if (!Convert.TryFromBase64String(storedHash, bytes, out var written) || written < 13 || bytes[0] != 0x01)
        {
            return Iterations;
        }

        var iterations = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(5, 4));
        return iterations >= Iterations ? 0 : Iterations - (int)iterations;
    }

    /// <summary>
    /// Spends what a check of <paramref name="storedHash"/> saved against a current one, so a
    /// sign-in to an account whose hash is older (re-hashed only when its owner signs in) takes as
    /// long as any other: timing does not tell which addresses have accounts.
    /// </summary>
    public static void PadToCurrentCost(string? storedHash, string password)
    {
        if (MissingIterations(storedHash) is > 0 and var missing)
        {
            Rfc2898DeriveBytes.Pbkdf2(password, PaddingSalt, missing, HashAlgorithmName.SHA512, 32);
        }
    }
}
