using Boxoffice.Contracts.WaitingRoom;
using Boxoffice.WaitingRoom.Joining;

namespace Boxoffice.UnitTests.WaitingRoom;

/// <summary>The proof of work a queue may ask of a join: a challenge of ours, for this buyer and event, in time, as hard as asked, and solved.</summary>
public sealed class JoinRulesTests
{
    private const int Bits = 8;
    private static readonly WaitingRoomTokens Tokens = new("a-test-signing-key-of-at-least-32-characters");
    private static readonly DateTimeOffset Now = new(2027, 3, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly Guid EventId = Guid.Parse("0199a6c4-5e2b-7f3a-9c1d-2b4e6f8a0c1e");

    private static string Challenge(Guid? eventId = null, string buyerId = "buyer", int bits = Bits, DateTimeOffset? at = null) =>
        Tokens.Sign(JoinRules.NewChallenge(eventId ?? EventId, buyerId, bits, at ?? Now));

    private static ProofCheck Check(JoinRequest? request, int bits = Bits, DateTimeOffset? now = null) =>
        JoinRules.CheckProof(Tokens, request, EventId, "buyer", bits, now ?? Now);

    private static JoinRequest Solved(string challenge, int bits = Bits) => new(challenge, ProofOfWork.Solve(challenge, bits));

    [Fact]
    public void A_queue_that_asks_for_no_work_takes_any_join()
    {
        Assert.Equal(ProofCheck.Passed, Check(null, bits: 0));
        Assert.Equal(ProofCheck.Passed, Check(new JoinRequest("junk", "junk"), bits: 0));
    }

    [Fact]
    public void A_solved_challenge_of_the_buyer_and_the_event_passes()
    {
        Assert.Equal(ProofCheck.Passed, Check(Solved(Challenge())));
    }

    [Fact]
    public void A_join_without_a_challenge_is_refused()
    {
        Assert.Equal(ProofCheck.Missing, Check(null));
        Assert.Equal(ProofCheck.Missing, Check(new JoinRequest(null, "1")));
        Assert.Equal(ProofCheck.Missing, Check(new JoinRequest("", "1")));
    }

    [Fact]
    public void A_challenge_we_did_not_sign_is_refused()
    {
        var forged = new WaitingRoomTokens("another-signing-key-of-at-least-32-characters").Sign(JoinRules.NewChallenge(EventId, "buyer", Bits, Now));

        Assert.Equal(ProofCheck.Invalid, Check(Solved(forged)));
        Assert.Equal(ProofCheck.Invalid, Check(new JoinRequest("not-a-challenge", "1")));
        Assert.Equal(ProofCheck.Invalid, Check(new JoinRequest(Tokens.Sign(new QueueTicket(EventId, "buyer", 1, 0)), "1")));
    }

    [Fact]
    public void Another_buyers_or_another_events_challenge_is_refused()
    {
        Assert.Equal(ProofCheck.OtherBuyerOrEvent, Check(Solved(Challenge(buyerId: "someone-else"))));
        Assert.Equal(ProofCheck.OtherBuyerOrEvent, Check(Solved(Challenge(eventId: Guid.NewGuid()))));
    }

    [Fact]
    public void A_challenge_lasts_two_minutes()
    {
        var challenge = Solved(Challenge());

        Assert.Equal(ProofCheck.Passed, Check(challenge, now: Now + JoinRules.ChallengeLifetime - TimeSpan.FromSeconds(1)));
        Assert.Equal(ProofCheck.Expired, Check(challenge, now: Now + JoinRules.ChallengeLifetime));
    }

    [Fact]
    public void A_challenge_easier_than_the_queue_asks_now_is_refused()
    {
        Assert.Equal(ProofCheck.TooEasy, Check(Solved(Challenge(bits: Bits - 1), Bits - 1)));
    }

    [Fact]
    public void A_wrong_solution_is_refused()
    {
        var challenge = Challenge(bits: 16);
        var wrong = Enumerable.Range(0, 1000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .First(solution => !ProofOfWork.IsSolution(challenge, solution, 16));

        Assert.Equal(ProofCheck.Unsolved, Check(new JoinRequest(challenge, wrong), bits: 16));
        Assert.Equal(ProofCheck.Unsolved, Check(new JoinRequest(challenge, null), bits: 16));
    }

    [Fact]
    public void A_new_challenge_is_bound_to_the_buyer_and_the_event_and_never_asks_more_than_the_most_bits()
    {
        var challenge = JoinRules.NewChallenge(EventId, "buyer", 99, Now);

        Assert.Equal((EventId, "buyer", ProofOfWork.MaxBits), (challenge.EventId, challenge.BuyerId, challenge.Bits));
        Assert.Equal((Now + JoinRules.ChallengeLifetime).ToUnixTimeSeconds(), challenge.ExpiresAtUnix);
        Assert.NotEqual(challenge.Nonce, JoinRules.NewChallenge(EventId, "buyer", 99, Now).Nonce);
    }
}
