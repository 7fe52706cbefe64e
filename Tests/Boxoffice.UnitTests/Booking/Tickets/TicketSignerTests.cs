using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Boxoffice.Booking;
using Boxoffice.Booking.Tickets;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Boxoffice.UnitTests.Booking.Tickets;

/// <summary>
/// Ticket codes as a door scanner sees them: <c>base64url(claims) "." base64url(ES256 signature)</c>.
/// Signing needs no database (the key is given), so the signer's data source never connects.
/// </summary>
public sealed class TicketSignerTests : IDisposable
{
    private static readonly TicketClaims Claims = new(
        Guid.Parse("0199a3c4-0000-7000-8000-000000000001"), Guid.Parse("0199a3c4-0000-7000-8000-000000000002"), "Stalls A-12");

    private readonly NpgsqlDataSource _db = NpgsqlDataSource.Create("Host=unused");
    private readonly SigningKey _key = NewKey("k1");
    private readonly TicketSigner _signer;

    public TicketSignerTests() => _signer = new TicketSigner(_db, Options.Create(new BookingOptions()));

    [Fact]
    public void A_code_it_signed_verifies_to_the_same_claims()
    {
        var code = _signer.Sign(_key, Claims);

        Assert.Equal(Claims, TicketSigner.Verify(_key, code));
    }

    [Fact]
    public void A_code_with_altered_claims_is_refused()
    {
        var (_, signature) = Split(_signer.Sign(_key, Claims));
        var forged = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            $$"""{"tid":"{{Claims.TicketId}}","eid":"{{Claims.EventId}}","seat":"Stalls A-13"}"""));

        Assert.Null(TicketSigner.Verify(_key, forged + "." + signature));
    }

    [Fact]
    public void A_code_with_an_altered_signature_is_refused()
    {
        var (payload, signature) = Split(_signer.Sign(_key, Claims));
        var bytes = Base64Url.DecodeFromChars(signature);
        bytes[^1] ^= 0x01;

        Assert.Null(TicketSigner.Verify(_key, payload + "." + Base64Url.EncodeToString(bytes)));
    }

    [Fact]
    public void A_code_signed_with_another_key_is_refused()
    {
        using var other = NewKey("k2").Key;
        var code = _signer.Sign(new SigningKey("k2", other, ""), Claims);

        Assert.Null(TicketSigner.Verify(_key, code));
    }

    [Fact]
    public void A_signed_payload_that_is_not_claims_is_refused()
    {
        var payload = "not json"u8.ToArray();
        var code = Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(_key.Key.SignData(payload, HashAlgorithmName.SHA256));

        Assert.Null(TicketSigner.Verify(_key, code));
    }

    [Fact]
    public void A_code_longer_than_the_limit_is_refused_even_when_its_signature_holds()
    {
        var longSeat = Claims with { Seat = new string('x', TicketSigner.MaxCodeLength) };
        var code = _signer.Sign(_key, longSeat);

        Assert.True(code.Length > TicketSigner.MaxCodeLength);
        Assert.Null(TicketSigner.Verify(_key, code));
    }

    [Theory]
    [InlineData("")]
    [InlineData("no-dot-at-all")]
    [InlineData(".")]
    [InlineData("a.b.c")]
    [InlineData("!!!!.????")]
    [InlineData("eyJ0aWQiOjF9.not base64")]
    public void A_malformed_code_is_refused(string code)
    {
        Assert.Null(TicketSigner.Verify(_key, code));
    }

    [Fact]
    public void A_valid_code_with_a_third_part_is_refused()
    {
        Assert.Null(TicketSigner.Verify(_key, _signer.Sign(_key, Claims) + ".extra"));
    }

    public void Dispose()
    {
        _key.Key.Dispose();
        _db.Dispose();
    }

    private static SigningKey NewKey(string id) => new(id, ECDsa.Create(ECCurve.NamedCurves.nistP256), "");

    private static (string Payload, string Signature) Split(string code) => code.Split('.') is [var payload, var signature]
        ? (payload, signature)
        : throw new InvalidOperationException($"Not a two-part code: {code}");
}
