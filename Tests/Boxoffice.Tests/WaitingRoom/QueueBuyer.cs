using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Boxoffice.Contracts.WaitingRoom;
using Boxoffice.Tests.Booking;

namespace Boxoffice.Tests.WaitingRoom;

/// <summary>
/// A buyer in an event's queue, driving it through the gateway as a browser would: join (with a
/// proof of work when the event asks for one), poll the status with the ticket until admitted, then
/// hold and order with the admission. A 429 is waited out as Retry-After says, as a well-behaved
/// client does (and a join's 503 while the queue opens); every other answer is the test's to judge.
/// </summary>
internal sealed class QueueBuyer : IDisposable
{
    /// <summary>Where the waiting room's routes are, through the gateway.</summary>
    public const string Api = "/api/waiting-room/events/";

    // The wire names, spelled out: a test that used the services' constants would not notice them change.
    public const string TicketHeader = "Boxoffice-Queue-Ticket";
    public const string AdmissionHeader = "Boxoffice-Admission";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly BoxofficeApp _boxoffice;
    private readonly HttpClient _client;

    private QueueBuyer(BoxofficeApp boxoffice, Buyer buyer, HttpClient? client)
    {
        _boxoffice = boxoffice;
        Buyer = buyer;
        _client = client ?? buyer.Gateway;
    }

    public Buyer Buyer { get; }

    public string Id => Buyer.Id;

    /// <summary>The ticket the last join answered with.</summary>
    public string? Ticket { get; private set; }

    /// <summary>The admission the last admitted status carried.</summary>
    public string? Admission { get; private set; }

    /// <summary>A buyer with a connection of their own.</summary>
    public static async Task<QueueBuyer> NewAsync(BoxofficeApp boxoffice) => new(boxoffice, await Buyer.NewAsync(boxoffice), null);

    /// <summary><paramref name="count"/> buyers who call through <paramref name="client"/>: a crowd would otherwise hold a connection each.</summary>
    public static async Task<List<QueueBuyer>> CrowdAsync(BoxofficeApp boxoffice, int count, HttpClient client)
    {
        var crowd = new List<QueueBuyer>(count);
        for (var i = 0; i < count; i++)
        {
            crowd.Add(new QueueBuyer(boxoffice, await Buyer.NewAsync(boxoffice), client));
        }

        return crowd;
    }

    /// <summary>A request to any gateway path as this buyer, with a queue ticket or an admission when given.</summary>
    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null, string? ticket = null, string? admission = null) =>
        SendAsync(method, path, body, ticket, admission, HttpCompletionOption.ResponseContentRead, _client, TestContext.Current.CancellationToken);

    private async Task<HttpResponseMessage> SendAsync(
        HttpMethod method, string path, object? body, string? ticket, string? admission, HttpCompletionOption completion, HttpClient client, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        Buyer.Authorize(request);
        if (ticket is not null)
        {
            request.Headers.TryAddWithoutValidation(TicketHeader, ticket);
        }

        if (admission is not null)
        {
            request.Headers.TryAddWithoutValidation(AdmissionHeader, admission);
        }

        request.Content = body switch
        {
            null => null,
            HttpContent content => content,
            string json => new StringContent(json, Encoding.UTF8, "application/json"),
            _ => JsonContent.Create(body),
        };
        return await client.SendAsync(request, completion, cancellationToken);
    }

    /// <summary>
    /// Joins the queue, with <paramref name="proof"/> (<c>{challenge, solution}</c>) when given: 201 the
    /// first time, 200 after. Paced by the per-address join limit, and patient with a queue that is
    /// opening: a 429 or 503 is tried again after Retry-After. Keeps the ticket.
    /// </summary>
    public async Task<(HttpStatusCode Status, QueueStatus Place)> JoinAsync(Guid eventId, object? proof = null)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            using var response = await SendAsync(HttpMethod.Post, $"{Api}{eventId}/join", proof);
            if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < deadline)
            {
                await WaitAsync(response);
                continue;
            }

            var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"Join of {eventId}: expected 201 or 200, got {(int)response.StatusCode}: {text}");
            var place = JsonSerializer.Deserialize<QueueStatus>(text, Json)!;
            Assert.Equal(eventId, place.EventId);
            Assert.False(string.IsNullOrEmpty(place.Ticket), $"The join answered without a ticket: {text}");
            Ticket = place.Ticket;
            return (response.StatusCode, place);
        }
    }

    /// <summary>Asks for a proof-of-work challenge: <c>{challenge, bits, expiresAt}</c>.</summary>
    public async Task<JsonElement> ChallengeAsync(Guid eventId)
    {
        using var response = await SendAsync(HttpMethod.Post, $"{Api}{eventId}/challenge");
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"Challenge of {eventId}: got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>
    /// One poll of the status with the buyer's ticket: the place, or null for a 429 (waited out as
    /// Retry-After says). Anything else but 200 fails: the gateway answers status from its last
    /// snapshot whatever is down behind it.
    /// </summary>
    public async Task<QueueStatus?> PollAsync(Guid eventId)
    {
        using var response = await SendAsync(HttpMethod.Get, $"{Api}{eventId}/status", ticket: Ticket);
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            await WaitAsync(response);
            return null;
        }

        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Status of {Id} in {eventId}: expected 200, got {(int)response.StatusCode}: {text}");
        var status = JsonSerializer.Deserialize<QueueStatus>(text, Json)!;
        Assert.Equal(eventId, status.EventId);
        if (status.State == "admitted")
        {
            Assert.False(string.IsNullOrEmpty(status.Admission), $"Admitted without an admission: {text}");
            Admission = status.Admission;
        }

        return status;
    }

    /// <summary>
    /// Polls every <paramref name="every"/> (1 s by default: what one caller's limit refills in the
    /// tests) until <paramref name="done"/> holds; fails after <paramref name="timeout"/>.
    /// </summary>
    public async Task<QueueStatus> UntilAsync(Guid eventId, Func<QueueStatus, bool> done, TimeSpan timeout, TimeSpan? every = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        QueueStatus? last = null;
        while (true)
        {
            if (await PollAsync(eventId) is { } status)
            {
                last = status;
                if (done(status))
                {
                    return status;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, $"{Id}'s place in {eventId} was still {last?.State ?? "unanswered"} (position {last?.Position}) after {timeout}.");
            await Task.Delay(every ?? TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Polls until the buyer is admitted; the status then carries the admission.</summary>
    public Task<QueueStatus> AdmittedAsync(Guid eventId, TimeSpan? timeout = null, TimeSpan? every = null) =>
        UntilAsync(eventId, status => status.State == "admitted", timeout ?? TimeSpan.FromSeconds(60), every);

    /// <summary>
    /// The server-sent status stream (<c>event: status</c>), as the statuses arrive, until the
    /// server ends it or <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public async IAsyncEnumerable<QueueStatus> StreamAsync(Guid eventId, string? ticket, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var client = _boxoffice.CreateGatewayClient();
        client.Timeout = Timeout.InfiniteTimeSpan;
        using var response = await SendAsync(HttpMethod.Get, $"{Api}{eventId}/status/stream", null, ticket, null, HttpCompletionOption.ResponseHeadersRead, client, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        string? name = null;
        var data = new StringBuilder();
        while (await ReadLineAsync(reader, cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (name == "status" && data.Length > 0)
                {
                    yield return JsonSerializer.Deserialize<QueueStatus>(data.ToString(), Json)!;
                }

                name = null;
                data.Clear();
            }
            else if (line.StartsWith("event:", StringComparison.Ordinal))
            {
                name = line["event:".Length..].Trim();
            }
            else if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                data.Append(line["data:".Length..].TrimStart());
            }
        }
    }

    /// <summary>A hold of <paramref name="quantity"/> standing places, with <paramref name="admission"/> when given (a 429 is waited out).</summary>
    public Task<HttpResponseMessage> HoldAsync(QueuedSale sale, string? admission, int quantity = 1) =>
        PacedAsync(() => SendAsync(HttpMethod.Post, $"/api/booking/events/{sale.EventId}/holds", new { tierId = sale.TierId, quantity }, admission: admission));

    /// <summary>An order of the hold, with <paramref name="admission"/> when given (a 429 is waited out).</summary>
    public Task<HttpResponseMessage> OrderAsync(Guid holdId, string? admission) =>
        PacedAsync(() => SendAsync(HttpMethod.Post, "/api/booking/orders", new { holdId }, admission: admission));

    public void Dispose() => Buyer.Dispose();

    /// <summary>
    /// Holds and orders share a small per-buyer limit (10, then 1 a second), and joins a per-address
    /// one that the suite's other tests spend: a test that sends many refused requests, or one right
    /// after a crowd's joins, waits a 429 out as a client would.
    /// </summary>
    internal static async Task<HttpResponseMessage> PacedAsync(Func<Task<HttpResponseMessage>> send)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var response = await send();
            if (response.StatusCode != HttpStatusCode.TooManyRequests || DateTime.UtcNow >= deadline)
            {
                return response;
            }

            await WaitAsync(response);
            response.Dispose();
        }
    }

    /// <summary>As long as Retry-After says (1 s without one), and a little more, so a crowd does not come back at once.</summary>
    private static Task WaitAsync(HttpResponseMessage response) =>
        Task.Delay((response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1)) + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 250)), TestContext.Current.CancellationToken);

    private static async Task<string?> ReadLineAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadLineAsync(cancellationToken);
        }
        catch (IOException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}

/// <summary>What every refusal is: the status and type asked for, problem+json, and nothing of the server's insides.</summary>
internal static class ProblemAnswer
{
    public const string TypeBase = "https://boxoffice.dev/problems/";

    public static async Task<JsonElement> ExpectAsync(HttpResponseMessage response, HttpStatusCode status, string? type, string what)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == status, $"{what}: expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{what}: the {(int)status} is {response.Content.Headers.ContentType}, not problem+json: {text}");
        Assert.DoesNotContain("Exception", text);
        Assert.DoesNotContain("   at ", text);
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        if (type is not null)
        {
            Assert.True(problem.GetProperty("type").GetString() == TypeBase + type, $"{what}: expected a problem of type {type}: {text}");
        }

        return problem;
    }
}
