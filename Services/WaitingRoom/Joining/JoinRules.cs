using System.Buffers.Text;
using System.Security.Cryptography;
using Boxoffice.Contracts.WaitingRoom;

namespace Boxoffice.WaitingRoom.Joining;

/// <summary>The proof of work a queue may ask of a join: its challenges and how a solution is checked.</summary>
internal static class JoinRules
{
    /// <summary>How long a challenge may be solved and used.</summary>
    public static readonly TimeSpan ChallengeLifetime = TimeSpan.FromMinutes(2);

    /// <summary>A new puzzle for <paramref name="buyerId"/> joining <paramref name="eventId"/>, of the queue's bits.</summary>
    public static JoinChallenge NewChallenge(Guid eventId, string buyerId, int bits, DateTimeOffset now) => new(
        eventId,
        buyerId,
        Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)),
        Math.Clamp(bits, 0, ProofOfWork.MaxBits),
        (now + ChallengeLifetime).ToUnixTimeSeconds());

    /// <summary>
    /// Whether the join carries a proof of work of <paramref name="bits"/> bits: a challenge we
    /// signed, for this buyer and event, not expired, at least as hard as the queue asks now, and
    /// solved. Nothing is asked when <paramref name="bits"/> is 0.
    /// </summary>
    public static ProofCheck CheckProof(
        WaitingRoomTokens tokens, JoinRequest? request, Guid eventId, string buyerId, int bits, DateTimeOffset now)
    {
        if (bits <= 0)
        {
            return ProofCheck.Passed;
        }

        if (string.IsNullOrEmpty(request?.Challenge))
        {
            return ProofCheck.Missing;
        }

        if (tokens.ReadChallenge(request.Challenge) is not { } challenge)
        {
            return ProofCheck.Invalid;
        }

        if (challenge.EventId != eventId || !string.Equals(challenge.BuyerId, buyerId, StringComparison.Ordinal))
        {
            return ProofCheck.OtherBuyerOrEvent;
        }

        if (challenge.ExpiresAtUnix <= now.ToUnixTimeSeconds())
        {
            return ProofCheck.Expired;
        }

        if (challenge.Bits < Math.Min(bits, ProofOfWork.MaxBits))
        {
            return ProofCheck.TooEasy;
        }

        return ProofOfWork.IsSolution(request.Challenge, request.Solution ?? "", challenge.Bits) ? ProofCheck.Passed : ProofCheck.Unsolved;
    }

    /// <summary>The problem's <c>reason</c>.</summary>
    public static string Reason(this ProofCheck check) => check switch
    {
        ProofCheck.Missing => "missing",
        ProofCheck.Invalid => "invalid",
        ProofCheck.Expired => "expired",
        ProofCheck.OtherBuyerOrEvent => "other-buyer-or-event",
        ProofCheck.TooEasy => "too-easy",
        ProofCheck.Unsolved => "unsolved",
        _ => throw new ArgumentOutOfRangeException(nameof(check), check, "A passed proof is not refused."),
    };

    /// <summary>The problem's <c>detail</c>, for people.</summary>
    public static string Detail(this ProofCheck check) => check switch
    {
        ProofCheck.Missing => "This queue asks for a proof of work: get a challenge, solve it, and join with { \"challenge\", \"solution\" }.",
        ProofCheck.Expired => "The challenge has expired: get a new one.",
        ProofCheck.OtherBuyerOrEvent => "The challenge is another buyer's or another event's.",
        ProofCheck.TooEasy => "The queue asks for more work now than this challenge did: get a new one.",
        ProofCheck.Unsolved => "The solution does not solve the challenge.",
        _ => "The challenge is malformed or altered.",
    };
}
