using Boxoffice.Contracts.WaitingRoom;
using Boxoffice.WaitingRoom.Admission;

namespace Boxoffice.UnitTests.WaitingRoom;

/// <summary>Which queue tickets an admission request may use: ours, the buyer's own, for this event.</summary>
public sealed class AdmissionRulesTests
{
    private static readonly WaitingRoomTokens Tokens = new("a-test-signing-key-of-at-least-32-characters");
    private static readonly Guid EventId = Guid.Parse("0199a6c4-5e2b-7f3a-9c1d-2b4e6f8a0c1e");
    private static readonly QueueTicket Ticket = new(EventId, "buyer", QueueRanks.Late(7), 1_800_000_000);

    private static string? Refusal(string? header, Guid? eventId = null, string buyerId = "buyer") =>
        AdmissionRules.CheckTicket(Tokens, header, eventId ?? EventId, buyerId).Refusal;

    [Fact]
    public void The_buyers_own_ticket_for_the_event_is_taken()
    {
        var (ticket, refusal) = AdmissionRules.CheckTicket(Tokens, Tokens.Sign(Ticket), EventId, "buyer");

        Assert.Equal(Ticket, ticket);
        Assert.Null(refusal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void No_ticket_is_missing(string? header)
    {
        Assert.Equal("missing", Refusal(header));
    }

    [Fact]
    public void A_ticket_we_did_not_sign_or_an_admission_in_its_place_is_invalid()
    {
        Assert.Equal("invalid", Refusal(new WaitingRoomTokens("another-signing-key-of-at-least-32-characters").Sign(Ticket)));
        Assert.Equal("invalid", Refusal(Tokens.Sign(new Admission(EventId, "buyer", 1_900_000_000))));
        Assert.Equal("invalid", Refusal("not.a-ticket"));
    }

    [Fact]
    public void Another_events_or_another_buyers_ticket_is_refused()
    {
        Assert.Equal("other-event", Refusal(Tokens.Sign(Ticket), eventId: Guid.NewGuid()));
        Assert.Equal("other-buyer", Refusal(Tokens.Sign(Ticket), buyerId: "someone-else"));
    }

    [Fact]
    public void An_admission_expires_to_the_second_its_claim_says()
    {
        var expires = new DateTimeOffset(2027, 3, 1, 10, 15, 7, 450, TimeSpan.Zero);

        var admission = AdmissionRules.AdmissionOf(EventId, "buyer", expires);

        Assert.Equal((EventId, "buyer"), (admission.EventId, admission.BuyerId));
        Assert.Equal(expires.AddMilliseconds(-450), admission.ExpiresAt);
    }
}
