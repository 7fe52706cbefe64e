using System.Text.Json;
using Boxoffice.Contracts.WaitingRoom;

namespace Boxoffice.FlashSale;

/// <summary>
/// A buyer's app in front of an event's waiting room, through the gateway
/// (docs/adr/0010-waiting-room.md): a proof of work when the queue asks for one, the join, and the
/// status polls with the ticket the join gave. The crowd and the queue bench's load client
/// (<see cref="QueueLoad"/>) both wait their turn through it.
/// </summary>
internal sealed class QueueClient(Caller caller, Guid eventId)
{
    /// <summary>How often a join is sent again while the waiting room has not heard of the event yet, or its pre-queue is not open.</summary>
    private const int NotReadyAttempts = 30;

    public string Path { get; } = $"/api/waiting-room/events/{eventId}";

    /// <summary>
    /// Joins the queue (again: the same place), with a proof of work first when
    /// <paramref name="proofOfWork"/> or when the queue says it wants one. The answer, and the
    /// status it carries (with the ticket) when the buyer has a place.
    /// </summary>
    public async Task<(Answer Answer, QueueStatus? Status)> JoinAsync(string token, Random random, bool proofOfWork, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            object? body = null;
            if (proofOfWork)
            {
                var (refused, proof) = await ProveAsync(token, random, cancellationToken);
                if (proof is null)
                {
                    return (refused!, null);
                }

                body = proof;
            }

            var answer = await caller.ClickAsync("POST queue join", HttpMethod.Post, $"{Path}/join", token, body, random, cancellationToken, key: false);
            if (answer.Status is 200 or 201)
            {
                return (answer, Read(answer));
            }

            // The challenge expired under a fault, or the queue asks for work after all: a new one.
            if (answer.Is(422, "proof-of-work-failed") && attempt < 3)
            {
                proofOfWork = true;
                continue;
            }

            // The waiting room hears of a published event through Kafka; a join may come first.
            if ((answer.Is(404) || answer.Is(409, "queue-not-open")) && attempt < NotReadyAttempts)
            {
                await Task.Delay(TimeSpan.FromSeconds(1 + random.NextDouble()), cancellationToken);
                continue;
            }

            return (answer, null);
        }
    }

    /// <summary>A challenge, solved: the join's body; or the refusal of the challenge.</summary>
    public async Task<(Answer? Refused, object? Proof)> ProveAsync(string token, Random random, CancellationToken cancellationToken)
    {
        var answer = await caller.ClickAsync("POST queue challenge", HttpMethod.Post, $"{Path}/challenge", token, null, random, cancellationToken, key: false);
        if (answer.Status != 200 && answer.Status != 201)
        {
            return (answer, null);
        }

        var challenge = answer.Json.GetProperty("challenge").GetString()!;
        var bits = answer.Json.GetProperty("bits").GetInt32();
        // About 2^bits hashes: off the request path, as a phone would work it out.
        var solution = await Task.Run(() => ProofOfWork.Solve(challenge, bits), cancellationToken);
        return (null, new { challenge, solution });
    }

    /// <summary>One status poll with the buyer's ticket; <paramref name="patient"/>: as an app clicks (retries on no answer, 5xx, 429), else one request.</summary>
    public Task<Answer> StatusAsync(string endpoint, string token, string ticket, Random random, bool patient, CancellationToken cancellationToken) =>
        patient
            ? caller.ClickAsync(endpoint, HttpMethod.Get, $"{Path}/status", token, null, random, cancellationToken, key: false,
                headers: Caller.Header(WaitingRoomTokens.TicketHeader, ticket))
            : caller.SendAsync(endpoint, HttpMethod.Get, $"{Path}/status", token, headers: Caller.Header(WaitingRoomTokens.TicketHeader, ticket),
                cancellationToken: cancellationToken);

    /// <summary>The status an answer carries (join, status), or null.</summary>
    public static QueueStatus? Read(Answer answer)
    {
        if (answer.Status is not (200 or 201) || answer.Body.Length == 0)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<QueueStatus>(answer.Body, JsonSerializerOptions.Web);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>How long to wait before the next poll, as the status says (an honest app obeys, plus the moment it takes to render).</summary>
    public static TimeSpan PollAfter(QueueStatus status, Random random) =>
        TimeSpan.FromSeconds(status.PollAfterSeconds ?? QueueSchedule.MinPollSeconds * 2) + TimeSpan.FromMilliseconds(250 * random.NextDouble());
}
