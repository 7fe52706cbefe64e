using System.Net;
using Boxoffice.Contracts.WaitingRoom;
using Boxoffice.Tests.Catalog;

namespace Boxoffice.Tests.WaitingRoom;

/// <summary>
/// Hostile and malformed requests to every endpoint of the waiting room through the gateway (info,
/// join, challenge, admission, status, its stream) and to the catalog's waiting-room settings: a 4xx
/// problem+json that says what is wrong, never a 5xx, and no place taken.
/// </summary>
[Collection<RunningApp>]
public sealed class WaitingRoomBadInputTests(BoxofficeApp boxoffice)
{
    public static TheoryData<string> BadTickets => new()
    {
        "none",
        "garbage",
        "too long",
        "three parts",
        "altered",
        "forged",
        "an admission",
        "another buyer's",
        "another event's",
    };

    [Theory]
    [MemberData(nameof(BadTickets))]
    public async Task A_bad_queue_ticket_is_a_422_on_status_stream_and_admission(string kind)
    {
        var (sale, otherSale) = await SalesAsync();
        using var buyer = await QueueBuyer.NewAsync(boxoffice);
        using var other = await QueueBuyer.NewAsync(boxoffice);
        var tokens = await QueueTokens.ForAsync(boxoffice);
        await other.JoinAsync(sale.EventId);
        await buyer.JoinAsync(otherSale.EventId);
        var otherEventsTicket = buyer.Ticket!;
        await buyer.JoinAsync(sale.EventId);
        var ticket = kind switch
        {
            "none" => null,
            "garbage" => "not-a-ticket",
            "too long" => new string('a', 5000),
            "three parts" => buyer.Ticket + ".AAAA",
            // To the front of the line: the rank edited, the signature kept.
            "altered" => QueueTokens.Altered(buyer.Ticket!, payload => payload["r"] = 0),
            "forged" => new WaitingRoomTokens(new string('k', 48)).Sign(new QueueTicket(sale.EventId, buyer.Id, 0, DateTimeOffset.UtcNow.ToUnixTimeSeconds())),
            "an admission" => tokens.Sign(new Admission(sale.EventId, buyer.Id, DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds())),
            "another buyer's" => other.Ticket,
            "another event's" => otherEventsTicket,
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        foreach (var (method, path) in new[] { (HttpMethod.Get, "status"), (HttpMethod.Get, "status/stream"), (HttpMethod.Post, "admission") })
        {
            using var response = await buyer.SendAsync(method, $"{QueueBuyer.Api}{sale.EventId}/{path}", ticket: ticket);
            await ProblemAnswer.ExpectAsync(response, HttpStatusCode.UnprocessableEntity, "invalid-queue-ticket", $"{method} {path} with {kind} ticket");
        }

        var places = await QueueRecords.PlacesAsync(boxoffice, sale.EventId);
        Assert.Null(places.Single(place => place.BuyerId == buyer.Id).ClaimedAt);
    }

    public static TheoryData<string> NotIds => new() { "not-a-guid", "1%27%20OR%201%3D1", "00000000-0000-0000-0000-00000000000g" };

    [Theory]
    [MemberData(nameof(NotIds))]
    public async Task An_id_that_is_not_a_uuid_is_a_404_everywhere(string id)
    {
        var (sale, _) = await SalesAsync();
        using var buyer = await QueueBuyer.NewAsync(boxoffice);
        await buyer.JoinAsync(sale.EventId);
        using var organizer = await Organizer.NewAsync(boxoffice);

        foreach (var (method, path) in BuyerEndpoints)
        {
            using var response = await buyer.SendAsync(method, QueueBuyer.Api + id + path, ticket: buyer.Ticket);
            await ProblemAnswer.ExpectAsync(response, HttpStatusCode.NotFound, null, $"{method} {path} of event {id}");
        }

        foreach (var method in new[] { HttpMethod.Put, HttpMethod.Delete })
        {
            using var response = await organizer.SendAsync(method, $"/organizer/events/{id}/waiting-room", method == HttpMethod.Put ? new { } : null);
            await ProblemAnswer.ExpectAsync(response, HttpStatusCode.NotFound, null, $"{method} the waiting room of event {id}");
        }
    }

    [Fact]
    public async Task An_event_without_a_queue_is_a_404_everywhere()
    {
        using var buyer = await QueueBuyer.NewAsync(boxoffice);
        using var organizer = await Organizer.NewAsync(boxoffice);
        using var owner = await Organizer.NewAsync(boxoffice);
        var tokens = await QueueTokens.ForAsync(boxoffice);
        var othersEvent = await owner.CreateEventAsync();
        foreach (var eventId in new[] { Guid.NewGuid(), othersEvent })
        {
            // A well-signed ticket for it, so that only the event is wrong.
            var ticket = tokens.Sign(new QueueTicket(eventId, buyer.Id, QueueRanks.LateBase + 1, DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
            foreach (var (method, path) in BuyerEndpoints)
            {
                using var response = await buyer.SendAsync(method, QueueBuyer.Api + eventId + path, ticket: ticket);
                await ProblemAnswer.ExpectAsync(response, HttpStatusCode.NotFound, null, $"{method} {path} of event {eventId}, which has no queue");
            }

            // Another organizer's event is as good as none.
            using var put = await organizer.SendAsync(HttpMethod.Put, $"/organizer/events/{eventId}/waiting-room", new { admitPerSecond = 10 });
            await ProblemAnswer.ExpectAsync(put, HttpStatusCode.NotFound, null, $"PUT the waiting room of event {eventId}, not the organizer's");
            using var delete = await organizer.SendAsync(HttpMethod.Delete, $"/organizer/events/{eventId}/waiting-room");
            await ProblemAnswer.ExpectAsync(delete, HttpStatusCode.NotFound, null, $"DELETE the waiting room of event {eventId}, not the organizer's");
        }
    }

    public static TheoryData<string, string> BadJoins => new()
    {
        { "not json", "{\"challenge\": " },
        { "not an object", "[1, 2]" },
        { "challenge as a number", "{\"challenge\": 5, \"solution\": \"1\"}" },
        { "solution as an object", "{\"challenge\": \"a.b\", \"solution\": {}}" },
        { "trailing garbage", "{} }" },
    };

    [Theory]
    [MemberData(nameof(BadJoins))]
    public async Task A_malformed_join_is_a_400_and_takes_no_place(string why, string body)
    {
        var (sale, _) = await SalesAsync();
        using var buyer = await QueueBuyer.NewAsync(boxoffice);

        // The per-address join limit is not what is under test: a 429 left by earlier tests' joins is waited out.
        using var response = await QueueBuyer.PacedAsync(() => buyer.SendAsync(HttpMethod.Post, $"{QueueBuyer.Api}{sale.EventId}/join", body));

        await ProblemAnswer.ExpectAsync(response, HttpStatusCode.BadRequest, null, $"A join with {why}");
        Assert.DoesNotContain(await QueueRecords.PlacesAsync(boxoffice, sale.EventId), place => place.BuyerId == buyer.Id);
    }

    public static TheoryData<string, string> BadSettings => new()
    {
        { "not json", "{\"admitPerSecond\": " },
        { "not an object", "[]" },
        { "no rate", "{\"admitPerSecond\": 0}" },
        { "a negative rate", "{\"admitPerSecond\": -5}" },
        { "a rate as text", "{\"admitPerSecond\": \"fast\"}" },
        { "a rate too large for an int", "{\"admitPerSecond\": 2147483648}" },
        { "no admissions at once", "{\"maxAdmitted\": 0}" },
        { "admissions of no time", "{\"admissionMinutes\": 0}" },
        { "admissions for days", "{\"admissionMinutes\": 100000}" },
        { "a proof of work beyond the most", "{\"proofOfWorkBits\": 25}" },
        { "a negative proof of work", "{\"proofOfWorkBits\": -1}" },
        { "a pre-queue that is no time", "{\"prequeueOpensAt\": \"tomorrow\"}" },
        { "a pre-queue after the opening", "{\"prequeueOpensAt\": \"2999-01-01T00:00:00Z\"}" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task Malformed_waiting_room_settings_are_a_400_and_change_nothing(string why, string body)
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        var eventId = await organizer.CreateEventAsync();

        using var response = await organizer.SendAsync(HttpMethod.Put, $"/organizer/events/{eventId}/waiting-room", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        await ProblemAnswer.ExpectAsync(response, HttpStatusCode.BadRequest, null, $"Waiting-room settings with {why}");
        var detail = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/organizer/events/{eventId}");
        Assert.True(!detail.TryGetProperty("waitingRoom", out var room) || room.ValueKind == System.Text.Json.JsonValueKind.Null, $"The refused settings were kept: {detail}");
    }

    [Fact]
    public async Task A_body_larger_than_the_route_allows_is_a_413()
    {
        var (sale, _) = await SalesAsync();
        using var buyer = await QueueBuyer.NewAsync(boxoffice);
        await buyer.JoinAsync(sale.EventId);
        using var gateway = boxoffice.CreateGatewayClient();
        // The waiting room's own routes take 4 KB; the gateway's status endpoints and the queue's info the default 1 MB.
        var oversized = new (HttpMethod Method, string Path, int Size)[]
        {
            (HttpMethod.Post, "/join", 5 * 1024),
            (HttpMethod.Post, "/challenge", 5 * 1024),
            (HttpMethod.Post, "/admission", 5 * 1024),
            (HttpMethod.Get, "/status", 2 * 1024 * 1024),
            (HttpMethod.Get, "/status/stream", 2 * 1024 * 1024),
            (HttpMethod.Get, "", 2 * 1024 * 1024),
        };
        foreach (var (method, path, size) in oversized)
        {
            using var request = new HttpRequestMessage(method, $"{QueueBuyer.Api}{sale.EventId}{path}") { Content = new ByteArrayContent(new byte[size]) };
            request.Content.Headers.ContentType = new("application/json");
            request.Headers.ExpectContinue = true;
            request.Headers.TryAddWithoutValidation(QueueBuyer.TicketHeader, buyer.Ticket);
            buyer.Buyer.Authorize(request);
            using var response = await gateway.SendAsync(request, TestContext.Current.CancellationToken);
            await ProblemAnswer.ExpectAsync(response, HttpStatusCode.RequestEntityTooLarge, "body-too-large", $"{method} {path} with {size} bytes");
        }

        using var organizer = await Organizer.NewAsync(boxoffice);
        var eventId = await organizer.CreateEventAsync();
        organizer.Gateway.DefaultRequestHeaders.ExpectContinue = true;
        var body = new ByteArrayContent(new byte[3 * 1024 * 1024]);
        body.Headers.ContentType = new("application/json");
        using var settings = await organizer.SendAsync(HttpMethod.Put, $"/organizer/events/{eventId}/waiting-room", body);
        await ProblemAnswer.ExpectAsync(settings, HttpStatusCode.RequestEntityTooLarge, "body-too-large", "PUT waiting-room settings of 3 MB");
    }

    /// <summary>Every route of the waiting room a buyer calls, after the event's id.</summary>
    private static readonly (HttpMethod Method, string Path)[] BuyerEndpoints =
    [
        (HttpMethod.Get, ""),
        (HttpMethod.Post, "/join"),
        (HttpMethod.Post, "/challenge"),
        (HttpMethod.Post, "/admission"),
        (HttpMethod.Get, "/status"),
        (HttpMethod.Get, "/status/stream"),
    ];

    private static readonly SemaphoreSlim SalesGate = new(1, 1);
    private static (QueuedSale, QueuedSale)? _sales;

    /// <summary>Two queued sales for these tests (each uses its own buyers): opening two per test would cost seconds each.</summary>
    private async Task<(QueuedSale Sale, QueuedSale OtherSale)> SalesAsync()
    {
        await SalesGate.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            return _sales ??= (await QueuedSale.OpenAsync(boxoffice, new { }, places: 10), await QueuedSale.OpenAsync(boxoffice, new { }, places: 10));
        }
        finally
        {
            SalesGate.Release();
        }
    }
}
