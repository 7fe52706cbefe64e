using System.Buffers.Text;
using System.Text;
using Boxoffice.Contracts.WaitingRoom;

namespace Boxoffice.UnitTests.Contracts.WaitingRoom;

/// <summary>
/// The waiting room's signed tokens as the gateway and booking read them:
/// <c>base64url(json) "." base64url(HMAC-SHA256)</c>, refused unless signed with the shared key,
/// unaltered, and of the kind asked for.
/// </summary>
public sealed class WaitingRoomTokensTests
{
    private const string Key = "a-signing-key-of-at-least-32-characters";
    private static readonly Guid EventId = Guid.Parse("0199a3c4-0000-7000-8000-000000000001");
    private static readonly DateTimeOffset Now = new(2026, 12, 24, 18, 0, 0, TimeSpan.Zero);

    private readonly WaitingRoomTokens _tokens = new(Key);

    [Fact]
    public void A_ticket_it_signed_reads_back_the_same()
    {
        var ticket = new QueueTicket(EventId, "buyer-1", QueueRanks.Late(7), Now.ToUnixTimeSeconds());

        Assert.Equal(ticket, _tokens.ReadTicket(_tokens.Sign(ticket)));
    }

    [Fact]
    public void An_admission_it_signed_reads_back_the_same()
    {
        var admission = Admission();

        Assert.Equal(admission, _tokens.ReadAdmission(_tokens.Sign(admission)));
    }

    [Fact]
    public void A_challenge_it_signed_reads_back_the_same()
    {
        var challenge = new JoinChallenge(EventId, "buyer-1", "nonce", 12, Now.AddMinutes(2).ToUnixTimeSeconds());

        Assert.Equal(challenge, _tokens.ReadChallenge(_tokens.Sign(challenge)));
    }

    [Fact]
    public void A_token_with_an_altered_payload_is_refused()
    {
        var (_, signature) = Split(_tokens.Sign(Admission()));
        var forged = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            $$"""{"e":"{{EventId}}","b":"buyer-2","x":{{Now.AddMinutes(15).ToUnixTimeSeconds()}},"k":"admission"}"""));

        Assert.Null(_tokens.ReadAdmission(forged + "." + signature));
    }

    [Fact]
    public void A_token_with_an_altered_signature_is_refused()
    {
        var (payload, signature) = Split(_tokens.Sign(Admission()));
        var bytes = Base64Url.DecodeFromChars(signature);
        bytes[^1] ^= 0x01;

        Assert.Null(_tokens.ReadAdmission(payload + "." + Base64Url.EncodeToString(bytes)));
    }

    [Fact]
    public void A_token_signed_with_another_key_is_refused()
    {
        var token = new WaitingRoomTokens("another-signing-key-of-32-characters!").Sign(Admission());

        Assert.Null(_tokens.ReadAdmission(token));
    }

    [Fact]
    public void A_queue_ticket_is_not_an_admission_nor_an_admission_a_ticket()
    {
        var ticket = _tokens.Sign(new QueueTicket(EventId, "buyer-1", 42, Now.ToUnixTimeSeconds()));
        var admission = _tokens.Sign(Admission());

        Assert.Null(_tokens.ReadAdmission(ticket));
        Assert.Null(_tokens.ReadTicket(admission));
        Assert.Null(_tokens.ReadChallenge(admission));
        Assert.Equal(AdmissionCheck.Invalid, _tokens.CheckAdmission(ticket, EventId, "buyer-1", Now));
    }

    [Fact]
    public void A_token_longer_than_the_limit_is_refused_even_when_its_signature_holds()
    {
        var token = _tokens.Sign(Admission() with { BuyerId = new string('b', WaitingRoomTokens.MaxLength) });

        Assert.True(token.Length > WaitingRoomTokens.MaxLength);
        Assert.Null(_tokens.ReadAdmission(token));
    }

    [Theory]
    [InlineData("")]
    [InlineData("no-dot-at-all")]
    [InlineData(".")]
    [InlineData("a.")]
    [InlineData(".b")]
    [InlineData("a.b.c")]
    [InlineData("!!!!.????")]
    [InlineData("eyJlIjoxfQ.not base64")]
    public void Garbage_is_refused(string token)
    {
        Assert.Null(_tokens.ReadAdmission(token));
        Assert.Null(_tokens.ReadTicket(token));
    }

    [Fact]
    public void A_signed_payload_that_is_not_json_is_refused()
    {
        var payload = "not json"u8.ToArray();
        var token = Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(
            System.Security.Cryptography.HMACSHA256.HashData(Encoding.UTF8.GetBytes(Key), payload));

        Assert.Null(_tokens.ReadAdmission(token));
    }

    [Fact]
    public void A_valid_admission_for_the_event_and_buyer_is_valid_until_it_expires()
    {
        var token = _tokens.Sign(Admission());

        Assert.Equal(AdmissionCheck.Valid, _tokens.CheckAdmission(token, EventId, "buyer-1", Now));
        Assert.Equal(AdmissionCheck.Valid, _tokens.CheckAdmission(token, EventId, "buyer-1", Now.AddMinutes(15).AddSeconds(-1)));
        Assert.Equal(AdmissionCheck.Expired, _tokens.CheckAdmission(token, EventId, "buyer-1", Now.AddMinutes(15)));
    }

    [Fact]
    public void An_admission_to_another_event_or_of_another_buyer_is_refused_as_such()
    {
        var token = _tokens.Sign(Admission());

        Assert.Equal(AdmissionCheck.OtherEvent, _tokens.CheckAdmission(token, Guid.NewGuid(), "buyer-1", Now));
        Assert.Equal(AdmissionCheck.OtherBuyer, _tokens.CheckAdmission(token, EventId, "buyer-2", Now));
        Assert.Equal(AdmissionCheck.OtherBuyer, _tokens.CheckAdmission(token, EventId, "BUYER-1", Now));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void No_admission_is_missing(string? token)
    {
        Assert.Equal(AdmissionCheck.Missing, _tokens.CheckAdmission(token, EventId, "buyer-1", Now));
    }

    [Fact]
    public void A_malformed_admission_is_invalid()
    {
        Assert.Equal(AdmissionCheck.Invalid, _tokens.CheckAdmission("a.b", EventId, "buyer-1", Now));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("shorter-than-32-characters")]
    public void A_signing_key_shorter_than_32_characters_is_refused(string? key)
    {
        Assert.Throws<InvalidOperationException>(() => new WaitingRoomTokens(key!));
    }

    [Theory]
    [InlineData(AdmissionCheck.Missing, "missing")]
    [InlineData(AdmissionCheck.Invalid, "invalid")]
    [InlineData(AdmissionCheck.Expired, "expired")]
    [InlineData(AdmissionCheck.OtherEvent, "other-event")]
    [InlineData(AdmissionCheck.OtherBuyer, "other-buyer")]
    public void Each_refusal_has_its_kebab_case_reason(AdmissionCheck check, string reason)
    {
        Assert.Equal(reason, check.Reason());
    }

    private static Admission Admission() => new(EventId, "buyer-1", Now.AddMinutes(15).ToUnixTimeSeconds());

    private static (string Payload, string Signature) Split(string token) => token.Split('.') is [var payload, var signature]
        ? (payload, signature)
        : throw new InvalidOperationException($"Not a two-part token: {token}");
}
