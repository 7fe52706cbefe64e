using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Boxoffice.Contracts.WaitingRoom;

/// <summary>
/// A buyer's place in an event's queue, signed by the waiting room when the buyer joins. The place
/// lives in the ticket as well as in the waiting room's database, so neither Redis nor a lost
/// replica can take it away, and the gateway answers "where am I" from the ticket alone.
/// <see cref="Rank"/> orders the queue (see <see cref="QueueRanks"/>).
/// </summary>
public sealed record QueueTicket(
    [property: JsonPropertyName("e")] Guid EventId,
    [property: JsonPropertyName("b")] string BuyerId,
    [property: JsonPropertyName("r")] long Rank,
    [property: JsonPropertyName("j")] long JoinedAtUnix)
{
    [JsonPropertyName("k")]
    public string Kind { get; init; } = WaitingRoomTokens.TicketKind;
}

/// <summary>
/// A buyer's admission to an event's sale: what booking's hold and order endpoints (and the
/// gateway in front of them) require for an event with a waiting room. Bound to the buyer and the
/// event, valid until <see cref="ExpiresAtUnix"/>.
/// </summary>
public sealed record Admission(
    [property: JsonPropertyName("e")] Guid EventId,
    [property: JsonPropertyName("b")] string BuyerId,
    [property: JsonPropertyName("x")] long ExpiresAtUnix)
{
    [JsonPropertyName("k")]
    public string Kind { get; init; } = WaitingRoomTokens.AdmissionKind;

    [JsonIgnore]
    public DateTimeOffset ExpiresAt => DateTimeOffset.FromUnixTimeSeconds(ExpiresAtUnix);
}

/// <summary>
/// A proof-of-work puzzle for joining a queue: find a number whose SHA-256 together with the
/// challenge starts with <see cref="Bits"/> zero bits (<see cref="ProofOfWork"/>). Bound to the
/// buyer and the event, valid until <see cref="ExpiresAtUnix"/>.
/// </summary>
public sealed record JoinChallenge(
    [property: JsonPropertyName("e")] Guid EventId,
    [property: JsonPropertyName("b")] string BuyerId,
    [property: JsonPropertyName("n")] string Nonce,
    [property: JsonPropertyName("d")] int Bits,
    [property: JsonPropertyName("x")] long ExpiresAtUnix)
{
    [JsonPropertyName("k")]
    public string Kind { get; init; } = WaitingRoomTokens.ChallengeKind;
}

/// <summary>
/// Signs and reads the waiting room's tokens: <c>base64url(json).base64url(HMAC-SHA256)</c> with
/// a key every party shares (the secret parameter <c>waiting-room-signing-key</c>). Reading
/// checks the signature in constant time before it parses anything, so a forged or altered token
/// costs one HMAC and is refused. Each kind carries its name, so a ticket is never an admission.
/// </summary>
public sealed class WaitingRoomTokens
{
    /// <summary>Configuration key of the shared signing key (at least 32 characters).</summary>
    public const string SigningKeySetting = "WaitingRoom:SigningKey";

    /// <summary>The request header that carries a buyer's admission to holds and orders.</summary>
    public const string AdmissionHeader = "Boxoffice-Admission";

    /// <summary>The request header that carries a buyer's queue ticket to the status endpoints.</summary>
    public const string TicketHeader = "Boxoffice-Queue-Ticket";

    internal const string TicketKind = "queue-ticket";
    internal const string AdmissionKind = "admission";
    internal const string ChallengeKind = "join-challenge";

    /// <summary>Longer tokens are refused unread: every token this class signs is far shorter.</summary>
    public const int MaxLength = 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly byte[] key;

    public WaitingRoomTokens(string signingKey)
    {
        if (string.IsNullOrEmpty(signingKey) || signingKey.Length < 32)
        {
            throw new InvalidOperationException($"{SigningKeySetting} must be set to a secret of at least 32 characters.");
        }

        key = Encoding.UTF8.GetBytes(signingKey);
    }

    public string Sign(QueueTicket ticket) => Sign(JsonSerializer.SerializeToUtf8Bytes(ticket, Json));

    public string Sign(Admission admission) => Sign(JsonSerializer.SerializeToUtf8Bytes(admission, Json));

    public string Sign(JoinChallenge challenge) => Sign(JsonSerializer.SerializeToUtf8Bytes(challenge, Json));

    /// <summary>The ticket, or null when the token is malformed, altered or not a queue ticket.</summary>
    public QueueTicket? ReadTicket(string? token) => Read<QueueTicket>(token, TicketKind, ticket => ticket.Kind);

    /// <summary>The admission, or null when the token is malformed, altered or not an admission (expiry is not checked here).</summary>
    public Admission? ReadAdmission(string? token) => Read<Admission>(token, AdmissionKind, admission => admission.Kind);

    /// <summary>The challenge, or null when the token is malformed, altered or not a join challenge.</summary>
    public JoinChallenge? ReadChallenge(string? token) => Read<JoinChallenge>(token, ChallengeKind, challenge => challenge.Kind);

    /// <summary>
    /// Whether <paramref name="token"/> admits <paramref name="buyerId"/> to <paramref name="eventId"/> at <paramref name="now"/>:
    /// signed by us, an admission, for that event and buyer, not expired.
    /// </summary>
    public AdmissionCheck CheckAdmission(string? token, Guid eventId, string buyerId, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(token))
        {
            return AdmissionCheck.Missing;
        }

        var admission = ReadAdmission(token);
        if (admission is null)
        {
            return AdmissionCheck.Invalid;
        }

        if (admission.EventId != eventId)
        {
            return AdmissionCheck.OtherEvent;
        }

        if (!string.Equals(admission.BuyerId, buyerId, StringComparison.Ordinal))
        {
            return AdmissionCheck.OtherBuyer;
        }

        return admission.ExpiresAtUnix <= now.ToUnixTimeSeconds() ? AdmissionCheck.Expired : AdmissionCheck.Valid;
    }

    private string Sign(byte[] payload)
    {
        var signature = HMACSHA256.HashData(key, payload);
        return Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(signature);
    }

    private T? Read<T>(string? token, string kind, Func<T, string> kindOf)
        where T : class
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxLength)
        {
            return null;
        }

        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == token.Length - 1 || token.IndexOf('.', dot + 1) >= 0)
        {
            return null;
        }

        try
        {
            var payload = Base64Url.DecodeFromChars(token.AsSpan(0, dot));
            var signature = Base64Url.DecodeFromChars(token.AsSpan(dot + 1));
            if (!CryptographicOperations.FixedTimeEquals(signature, HMACSHA256.HashData(key, payload)))
            {
                return null;
            }

            var value = JsonSerializer.Deserialize<T>(payload, Json);
            return value is not null && kindOf(value) == kind ? value : null;
        }
        catch (Exception failure) when (failure is FormatException or JsonException or ArgumentException)
        {
            return null;
        }
    }
}

/// <summary>What <see cref="WaitingRoomTokens.CheckAdmission"/> found.</summary>
public enum AdmissionCheck
{
    Valid,
    Missing,
    Invalid,
    Expired,
    OtherEvent,
    OtherBuyer,
}

/// <summary>
/// A place's rank, the one number the queue is ordered by. Buyers who joined in the pre-queue get a
/// uniformly random rank below <see cref="LateBase"/> (the shuffle: drawn when they join, nobody
/// knows their order until the opening freezes the pre-queue); later buyers get
/// <see cref="LateBase"/> plus their arrival number, so they follow in arrival order.
/// </summary>
public static class QueueRanks
{
    /// <summary>The first rank of a buyer who joined after the sale opened.</summary>
    public const long LateBase = 1L << 62;

    public static bool IsPrequeue(long rank) => rank < LateBase;

    /// <summary>A uniformly random pre-queue rank.</summary>
    public static long DrawPrequeue() => RandomNumberGenerator.GetInt32(int.MaxValue) * (1L << 31) + RandomNumberGenerator.GetInt32(int.MaxValue);

    /// <summary>The rank of the <paramref name="arrival"/>-th (from 1) buyer to join after the opening.</summary>
    public static long Late(long arrival) => LateBase + arrival;

    /// <summary>
    /// A place's position in the queue (from 1) once the pre-queue of <paramref name="prequeueCount"/>
    /// places is frozen. A pre-queue place's position is its rank's share of the rank range, which
    /// is its true position within a few places for a uniform draw; a later one's is exact.
    /// </summary>
    public static long Position(long rank, long prequeueCount) =>
        IsPrequeue(rank)
            ? Math.Clamp((long)Math.Ceiling((double)rank / LateBase * prequeueCount), 1, Math.Max(1, prequeueCount))
            : prequeueCount + (rank - LateBase);
}

/// <summary>
/// The proof of work a join may ask for: SHA-256 of <c>challenge + ":" + solution</c> must start
/// with the challenge's number of zero bits. Checking costs one hash; finding takes about 2^bits.
/// </summary>
public static class ProofOfWork
{
    /// <summary>The most bits an organizer may ask for (about a second of a phone's work at 20).</summary>
    public const int MaxBits = 24;

    public static bool IsSolution(string challenge, string solution, int bits)
    {
        if (bits <= 0)
        {
            return true;
        }

        if (string.IsNullOrEmpty(solution) || solution.Length > 32 || bits > MaxBits)
        {
            return false;
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(challenge + ":" + solution), hash);
        return LeadingZeroBits(hash) >= bits;
    }

    /// <summary>Finds a solution by counting up (what a client does; the harness and tests use it).</summary>
    public static string Solve(string challenge, int bits)
    {
        for (long candidate = 0; ; candidate++)
        {
            var solution = candidate.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (IsSolution(challenge, solution, bits))
            {
                return solution;
            }
        }
    }

    private static int LeadingZeroBits(ReadOnlySpan<byte> hash)
    {
        var bits = 0;
        foreach (var value in hash)
        {
            if (value == 0)
            {
                bits += 8;
                continue;
            }

            return bits + System.Numerics.BitOperations.LeadingZeroCount((uint)value) - 24;
        }

        return bits;
    }
}

/// <summary>How a refused admission is explained, the same at the gateway and in booking.</summary>
public static class AdmissionRefusal
{
    /// <summary>The problem's <c>reason</c>: missing, invalid, expired, other-event or other-buyer.</summary>
    public static string Reason(this AdmissionCheck check) => check switch
    {
        AdmissionCheck.Missing => "missing",
        AdmissionCheck.Invalid => "invalid",
        AdmissionCheck.Expired => "expired",
        AdmissionCheck.OtherEvent => "other-event",
        AdmissionCheck.OtherBuyer => "other-buyer",
        _ => throw new ArgumentOutOfRangeException(nameof(check), check, "A valid admission is not refused."),
    };

    /// <summary>The problem's <c>detail</c>, for people.</summary>
    public static string Detail(this AdmissionCheck check) => check switch
    {
        AdmissionCheck.Missing => $"This event sells through a waiting room: join its queue, and send the admission you get in the {WaitingRoomTokens.AdmissionHeader} header.",
        AdmissionCheck.Expired => "Your admission has expired.",
        AdmissionCheck.OtherEvent => "The admission is for another event.",
        AdmissionCheck.OtherBuyer => "The admission is another buyer's.",
        _ => "The admission is malformed or altered.",
    };

    /// <summary>The problem's <c>queue</c>: where to join the event's queue, through the gateway.</summary>
    public static string QueuePath(Guid eventId) => $"/api/waiting-room/events/{eventId}/join";
}
