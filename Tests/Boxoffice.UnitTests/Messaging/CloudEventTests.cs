using System.Text;
using System.Text.Json;
using Boxoffice.Contracts.Payments;
using Boxoffice.Messaging;

namespace Boxoffice.UnitTests.Messaging;

/// <summary>
/// <see cref="CloudEvent.Peek"/>: the <c>type</c> and <c>id</c> the inbox routes and de-duplicates
/// by, read from the envelope's top level without reading its data.
/// </summary>
public sealed class CloudEventTests
{
    private static readonly Guid Id = Guid.Parse("0199a3c4-5b6d-7e8f-9012-3456789abcde");
    private const string Type = "boxoffice.payments.payment-failed";

    [Fact]
    public void An_envelope_the_outbox_wrote_gives_its_type_and_id()
    {
        var payload = CloudEvent.Serialize(new PaymentFailed(Guid.NewGuid(), "declined"), Id, "/boxoffice/payments", DateTimeOffset.UnixEpoch);

        Assert.Equal((Type, Id), CloudEvent.Peek(payload));
        Assert.Equal(Type, CloudEvent.PeekType(payload));
    }

    [Fact]
    public void Type_and_id_are_found_in_any_order_after_other_attributes_and_data()
    {
        var payload = Json($$"""{"specversion":"1.0","data":{"orderId":"x","reason":"declined"},"id":"{{Id}}","source":"/s","type":"{{Type}}"}""");

        Assert.Equal((Type, Id), CloudEvent.Peek(payload));
    }

    [Fact]
    public void A_type_or_id_inside_the_data_is_not_the_envelopes()
    {
        var payload = Json($$"""{"data":{"type":"evil","id":"{{Guid.NewGuid()}}"},"type":"{{Type}}","id":"{{Id}}"}""");

        Assert.Equal((Type, Id), CloudEvent.Peek(payload));
    }

    [Fact]
    public void A_missing_type_or_id_is_null()
    {
        Assert.Equal((null, Id), CloudEvent.Peek(Json($$"""{"specversion":"1.0","data":{},"id":"{{Id}}"}""")));
        Assert.Equal((Type, null), CloudEvent.Peek(Json($$"""{"specversion":"1.0","data":{},"type":"{{Type}}"}""")));
        Assert.Equal((null, null), CloudEvent.Peek(Json("{}")));
    }

    [Theory]
    [InlineData("""{"type":42,"id":"0199a3c4-5b6d-7e8f-9012-3456789abcde"}""")]
    [InlineData("""{"type":null,"id":"0199a3c4-5b6d-7e8f-9012-3456789abcde"}""")]
    [InlineData("""{"type":{"name":"boxoffice.payments.payment-failed"},"id":"0199a3c4-5b6d-7e8f-9012-3456789abcde"}""")]
    [InlineData("""{"type":["boxoffice.payments.payment-failed"],"id":"0199a3c4-5b6d-7e8f-9012-3456789abcde"}""")]
    public void A_type_that_is_not_a_string_is_null(string envelope)
    {
        Assert.Equal((null, Id), CloudEvent.Peek(Json(envelope)));
    }

    [Theory]
    [InlineData("""{"type":"boxoffice.payments.payment-failed","id":"not-a-uuid"}""")]
    [InlineData("""{"type":"boxoffice.payments.payment-failed","id":42}""")]
    [InlineData("""{"type":"boxoffice.payments.payment-failed","id":null}""")]
    [InlineData("""{"type":"boxoffice.payments.payment-failed","id":{"value":"0199a3c4-5b6d-7e8f-9012-3456789abcde"}}""")]
    public void An_id_that_is_not_a_uuid_string_is_null(string envelope)
    {
        Assert.Equal((Type, null), CloudEvent.Peek(Json(envelope)));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("""[{"type":"boxoffice.payments.payment-failed"}]""")]
    [InlineData("\"boxoffice.payments.payment-failed\"")]
    [InlineData("42")]
    [InlineData("null")]
    public void Json_that_is_not_an_object_has_neither(string payload)
    {
        Assert.Equal((null, null), CloudEvent.Peek(Json(payload)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"type\":")]
    [InlineData("{\"type\":\"boxoffice.payments.payment-failed\"")]
    public void Bytes_that_are_not_json_throw_a_json_exception_which_the_consumer_dead_letters(string payload)
    {
        Assert.ThrowsAny<JsonException>(() => CloudEvent.Peek(Json(payload)));
    }

    private static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public void An_envelope_whose_type_is_not_valid_UTF8_has_no_type_so_it_is_poison_not_retried()
    {
        byte[] payload = [.. "{\"type\":\""u8, 0xC3, 0x28, .. "\",\"id\":\"0193a0a0-0000-7000-8000-000000000001\"}"u8];
        Assert.Null(CloudEvent.Peek(payload).Type);
        Assert.Null(CloudEvent.Peek("{\"type\":\"\\ud800\"}"u8).Type);
    }
}
