using System.Net;
using System.Text.Json;
using Boxoffice.Contracts.WaitingRoom;

namespace Boxoffice.Tests.WaitingRoom;

/// <summary>
/// An event may ask each join for a proof of work: a solved challenge that was signed for this
/// buyer and this event, recently. Without one, or with one that is wrong in any way, the join is
/// refused (422 proof-of-work-failed) and no place is taken.
/// </summary>
[Collection<RunningApp>]
public sealed class ProofOfWorkTests(BoxofficeApp boxoffice)
{
    private const int Bits = 8;

    [Fact]
    public async Task A_join_needs_the_buyers_own_solved_challenge_for_the_event()
    {
        var sale = await QueuedSale.OpenAsync(boxoffice, new { proofOfWorkBits = Bits }, places: 10);
        using var buyer = await QueueBuyer.NewAsync(boxoffice);
        using var other = await QueueBuyer.NewAsync(boxoffice);
        var tokens = await QueueTokens.ForAsync(boxoffice);
        using (var info = await buyer.Buyer.Gateway.GetAsync($"{QueueBuyer.Api}{sale.EventId}", TestContext.Current.CancellationToken))
        {
            Assert.Equal(Bits, JsonDocument.Parse(await info.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("proofOfWorkBits").GetInt32());
        }

        var issued = await buyer.ChallengeAsync(sale.EventId);
        var challenge = issued.GetProperty("challenge").GetString()!;
        Assert.Equal(Bits, issued.GetProperty("bits").GetInt32());
        Assert.True(issued.GetProperty("expiresAt").GetDateTimeOffset() > DateTimeOffset.UtcNow);
        var othersChallenge = (await other.ChallengeAsync(sale.EventId)).GetProperty("challenge").GetString()!;
        var wrong = Enumerable.Range(0, 1000).Select(candidate => candidate.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .First(candidate => !ProofOfWork.IsSolution(challenge, candidate, Bits));
        // Made easy: the difficulty edited down to nothing, the signature kept.
        var easier = QueueTokens.Altered(challenge, payload => payload["d"] = 0);
        var expired = tokens.Sign(new JoinChallenge(sale.EventId, buyer.Id, Guid.NewGuid().ToString("N"), Bits, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds()));
        var otherEvent = tokens.Sign(new JoinChallenge(Guid.NewGuid(), buyer.Id, Guid.NewGuid().ToString("N"), Bits, DateTimeOffset.UtcNow.AddMinutes(2).ToUnixTimeSeconds()));

        var refused = new (string Why, object? Body, string Reason)[]
        {
            ("no challenge", null, "missing"),
            ("an empty body", "{}", "missing"),
            ("a wrong solution", new { challenge, solution = wrong }, "unsolved"),
            ("an altered challenge", new { challenge = easier, solution = ProofOfWork.Solve(easier, Bits) }, "invalid"),
            ("another buyer's challenge", new { challenge = othersChallenge, solution = ProofOfWork.Solve(othersChallenge, Bits) }, "other-buyer-or-event"),
            ("an expired challenge", new { challenge = expired, solution = ProofOfWork.Solve(expired, Bits) }, "expired"),
            ("another event's challenge", new { challenge = otherEvent, solution = ProofOfWork.Solve(otherEvent, Bits) }, "other-buyer-or-event"),
        };
        foreach (var (why, body, reason) in refused)
        {
            using var response = await buyer.SendAsync(HttpMethod.Post, $"{QueueBuyer.Api}{sale.EventId}/join", body);
            var problem = await ProblemAnswer.ExpectAsync(response, HttpStatusCode.UnprocessableEntity, "proof-of-work-failed", $"A join with {why}");
            Assert.Equal(reason, problem.GetProperty("reason").GetString());
            Assert.Equal($"/api/waiting-room/events/{sale.EventId}/challenge", problem.GetProperty("challenge").GetString());
        }

        Assert.Empty(await QueueRecords.PlacesAsync(boxoffice, sale.EventId));

        var (joined, place) = await buyer.JoinAsync(sale.EventId, new { challenge, solution = ProofOfWork.Solve(challenge, Bits) });
        Assert.Equal(HttpStatusCode.Created, joined);
        Assert.Equal(buyer.Id, tokens.ReadTicket(place.Ticket)?.BuyerId);
        // The other buyer's challenge was a good one: only not the first buyer's.
        var (otherJoined, _) = await other.JoinAsync(sale.EventId, new { challenge = othersChallenge, solution = ProofOfWork.Solve(othersChallenge, Bits) });
        Assert.Equal(HttpStatusCode.Created, otherJoined);
        Assert.Equal(new[] { buyer.Id, other.Id }.Order(), (await QueueRecords.PlacesAsync(boxoffice, sale.EventId)).Select(record => record.BuyerId).Order());
    }
}
