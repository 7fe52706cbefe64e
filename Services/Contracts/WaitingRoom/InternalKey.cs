using System.Security.Cryptography;
using System.Text;

namespace Boxoffice.Contracts.WaitingRoom;

/// <summary>
/// The key on the waiting room's internal endpoints (<c>/internal/queues</c>): every queue's
/// snapshot, and the report of buyers seen polling, which keeps their places from counting as
/// abandoned. Only the gateway calls them; the gateway routes nothing there and strips any
/// <c>X-Internal-*</c> header a client sends. A secret of its own (AppHost parameter
/// <c>waiting-room-internal-key</c>), not the signing key that booking also holds.
/// </summary>
public static class InternalKey
{
    public const string Header = "X-Internal-Key";

    /// <summary>Configuration key, in the gateway and in the waiting room.</summary>
    public const string Setting = "WaitingRoom:InternalKey";

    public const int MinLength = 32;

    /// <summary>Whether <paramref name="presented"/> is the key, compared in constant time.</summary>
    public static bool Matches(string? presented, string key) =>
        presented is not null && key.Length >= MinLength
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(key));
}
