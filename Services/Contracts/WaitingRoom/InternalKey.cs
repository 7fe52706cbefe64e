namespace Boxoffice.Contracts.WaitingRoom;

/// <summary>
/// The key on the waiting room's internal endpoints (<c>/internal/queues</c>): every queue's
/// snapshot, and the report of buyers seen polling, which keeps their places from counting as
/// abandoned. Only the gateway calls them; the gateway routes nothing there and strips any
/// <c>X-Internal-*</c> header a client sends. A secret of its own (AppHost parameter
/// <c>waiting-room-internal-key</c>), not the signing key that booking also holds. Compared with
/// <c>SecretKeys.Matches</c> (ServiceDefaults).
/// </summary>
public static class InternalKey
{
    public const string Header = "X-Internal-Key";

    /// <summary>Configuration key, in the gateway and in the waiting room.</summary>
    public const string Setting = "WaitingRoom:InternalKey";

    public const int MinLength = 32;
}
