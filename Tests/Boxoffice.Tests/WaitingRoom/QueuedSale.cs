using System.Buffers.Text;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Boxoffice.Contracts.WaitingRoom;
using Boxoffice.Tests.Booking;
using Boxoffice.Tests.Catalog;
using Npgsql;

namespace Boxoffice.Tests.WaitingRoom;

/// <summary>
/// An event that sells through a waiting room: a hall whose only section is a standing floor of
/// <see cref="Places"/> places at one tier, published and put on sale through the catalog with the
/// given <c>waitingRoom</c> settings, its sale opening at <see cref="SaleOpensAt"/>. Ready where it
/// must be: booking sells it (from the opening), the waiting room has its queue, and both gateway
/// replicas answer its status.
/// </summary>
internal sealed record QueuedSale(Guid EventId, Guid TierId, int Places, DateTimeOffset SaleOpensAt)
{
    /// <param name="waitingRoom">The event's <c>waitingRoom</c> object (<c>new { }</c>: every default).</param>
    /// <param name="opensIn">When the sale opens from now; by default it opened a minute ago.</param>
    /// <param name="ticketLimit">The most one buyer may take (none: booking's own cap). The queue lets in no more buyers than the places serve if each takes that many, until it has seen their holds.</param>
    public static async Task<QueuedSale> OpenAsync(
        BoxofficeApp boxoffice, object waitingRoom, int places = 100, TimeSpan? opensIn = null, Organizer? by = null, int? ticketLimit = null)
    {
        using var own = by is null ? await Organizer.NewAsync(boxoffice) : null;
        var organizer = by ?? own!;
        var venueId = await organizer.CreateVenueAsync(new
        {
            name = "Arena",
            city = "Braga",
            address = "Rua do Estádio 1",
            sections = new object[] { new { name = "Floor", kind = "general-admission", capacity = places } },
        });
        var now = DateTimeOffset.UtcNow;
        var created = await organizer.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/organizer/events", new
        {
            venueId,
            name = $"Queued {Guid.NewGuid():N}",
            description = "A sale behind a waiting room.",
            startsAt = now.AddDays(60),
            saleOpensAt = now + (opensIn ?? TimeSpan.FromMinutes(-1)),
            saleClosesAt = now.AddDays(59),
            currency = "EUR",
            tiers = new object[] { new { name = "Standing", price = 30m, sections = new[] { "Floor" } } },
            waitingRoom,
            ticketLimit,
        });
        Assert.Equal(JsonValueKind.Object, created.GetProperty("waitingRoom").ValueKind);
        var eventId = created.GetProperty("id").GetGuid();
        var sale = new QueuedSale(eventId, created.GetProperty("tiers")[0].GetProperty("id").GetGuid(), places, created.GetProperty("saleOpensAt").GetDateTimeOffset());
        await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/organizer/events/{eventId}/publish");
        await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/organizer/events/{eventId}/open-sale");
        await ReadyAsync(boxoffice, eventId);
        return sale;
    }

    /// <summary>
    /// A sale (set up as <see cref="OpenAsync"/> does) whose opening is a short <paramref name="lead"/>
    /// away, with <paramref name="prequeue"/> (the buyers' joins) done before it and at least
    /// <paramref name="margin"/> (by default <see cref="OpeningMargin"/>) to spare for what the test
    /// checks before the opening. When the work overruns that (a busy machine, the event slow to
    /// reach booking and the waiting room), it is done again on a new sale whose opening is twice as
    /// far, at most three sales in all. So a test can choose a lead about twice what its joins take,
    /// not one for the slowest machine, and never goes on with joins that came too late for the
    /// pre-queue. <paramref name="prequeue"/> must therefore be repeatable, and leave its checks of
    /// the joins' answers to the test, after this returns: on a sale that opened under it, a join is
    /// a late one.
    /// </summary>
    public static async Task<QueuedSale> OpenWithPrequeueAsync(
        BoxofficeApp boxoffice, object waitingRoom, TimeSpan lead, Func<QueuedSale, Task> prequeue, int places = 100, int? ticketLimit = null, TimeSpan? margin = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            var sale = await OpenAsync(boxoffice, waitingRoom, places, lead, ticketLimit: ticketLimit);
            await prequeue(sale);
            var left = sale.SaleOpensAt - DateTimeOffset.UtcNow;
            if (left >= (margin ?? OpeningMargin))
            {
                return sale;
            }

            Assert.True(attempt < 3, $"The work before the opening left {left.TotalSeconds:F1} s of a lead of {lead.TotalSeconds:F0} s, on the third sale running.");
            TestContext.Current.AddWarning($"The work before the opening of event {sale.EventId} left {left.TotalSeconds:F1} s of {lead.TotalSeconds:F0} s: again with a new sale, opening {2 * lead.TotalSeconds:F0} s ahead.");
            lead *= 2;
        }
    }

    /// <summary>What <see cref="OpenWithPrequeueAsync"/> leaves at least between the pre-queue's last join and the opening.</summary>
    public static readonly TimeSpan OpeningMargin = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Until booking and the waiting room have learnt of the event (through Kafka), and the
    /// gateway's snapshot of queues has it: four status answers in a row over fresh connections, so
    /// both replicas, for a ticket signed here (a place far at the back that nobody holds).
    /// </summary>
    public static async Task ReadyAsync(BoxofficeApp boxoffice, Guid eventId)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        using (var anonymous = boxoffice.CreateGatewayClient())
        {
            while (true)
            {
                using var availability = await anonymous.GetAsync($"/api/booking/events/{eventId}/availability", cancellationToken);
                using var queue = await anonymous.GetAsync($"{QueueBuyer.Api}{eventId}", cancellationToken);
                if (availability.StatusCode == HttpStatusCode.OK && queue.StatusCode == HttpStatusCode.OK
                    && JsonDocument.Parse(await availability.Content.ReadAsStringAsync(cancellationToken)).RootElement.GetProperty("status").GetString() == "on-sale")
                {
                    break;
                }

                Assert.True(DateTime.UtcNow < deadline, $"Booking or the waiting room did not learn of event {eventId} within 60 s (availability {(int)availability.StatusCode}, queue {(int)queue.StatusCode}).");
                await Task.Delay(250, cancellationToken);
            }
        }

        using var probe = await Buyer.NewAsync(boxoffice);
        var ticket = (await QueueTokens.ForAsync(boxoffice)).Sign(
            new QueueTicket(eventId, probe.Id, QueueRanks.LateBase + 1_000_000_000_000, DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        for (var inARow = 0; inARow < 4;)
        {
            using var gateway = boxoffice.CreateGatewayClient();
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{QueueBuyer.Api}{eventId}/status");
            probe.Authorize(request);
            request.Headers.TryAddWithoutValidation(QueueBuyer.TicketHeader, ticket);
            using var response = await gateway.SendAsync(request, cancellationToken);
            inARow = response.StatusCode == HttpStatusCode.OK ? inARow + 1 : 0;
            if (inARow == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, $"The gateway did not answer the status of event {eventId}'s queue within 60 s (last {(int)response.StatusCode}).");
                await Task.Delay(250, cancellationToken);
            }
        }
    }
}

/// <summary>
/// The waiting room's signing key (the AppHost's secret parameter <c>waiting-room-signing-key</c>),
/// to read what buyers are given and to forge tokens that are wrong in exactly one way.
/// </summary>
internal static class QueueTokens
{
    private static readonly ConditionalWeakTable<BoxofficeApp, Task<WaitingRoomTokens>> Keys = new();

    public static Task<WaitingRoomTokens> ForAsync(BoxofficeApp boxoffice) =>
        Keys.GetValue(boxoffice, static app => LoadAsync(app));

    /// <summary><paramref name="token"/> with its payload changed by <paramref name="change"/> and its signature kept: what a client that edits its token sends.</summary>
    public static string Altered(string token, Action<JsonObject> change)
    {
        var parts = token.Split('.');
        Assert.Equal(2, parts.Length);
        var payload = JsonNode.Parse(Base64Url.DecodeFromChars(parts[0]))!.AsObject();
        change(payload);
        return Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(payload)) + "." + parts[1];
    }

    private static async Task<WaitingRoomTokens> LoadAsync(BoxofficeApp boxoffice) =>
        new(await boxoffice.ParameterAsync("waiting-room-signing-key"));
}

/// <summary>A place as the waiting room keeps it (waitingroomdb <c>places</c>).</summary>
internal sealed record PlaceRecord(
    string BuyerId, long Rank, bool Prequeue, DateTimeOffset JoinedAt, DateTimeOffset? OfferedAt, DateTimeOffset? FirstOfferedAt,
    DateTimeOffset? ClaimedAt, DateTimeOffset? AdmissionExpiresAt, DateTimeOffset? HeldAt = null, int HeldUnits = 0, DateTimeOffset? HoldTakenAt = null)
{
    /// <summary>When the place was first offered admission (the offer may have been cleared since).</summary>
    public DateTimeOffset? Offered => FirstOfferedAt ?? OfferedAt;
}

/// <summary>What no client sees, read from the waiting room's database: the exact order of a queue and every offer made.</summary>
internal static class QueueRecords
{
    /// <summary>The event's places in queue order (by rank).</summary>
    public static async Task<List<PlaceRecord>> PlacesAsync(BoxofficeApp boxoffice, Guid eventId)
    {
        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("waitingroomdb"));
        await using var command = db.CreateCommand(
            """
            SELECT buyer_id, rank, prequeue, joined_at, offered_at, first_offered_at, claimed_at, admission_expires_at, held_at, held_units, hold_taken_at
            FROM places WHERE event_id = $1 ORDER BY rank
            """);
        command.Parameters.Add(new() { Value = eventId });
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        var places = new List<PlaceRecord>();
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            places.Add(new PlaceRecord(
                reader.GetString(0), reader.GetInt64(1), reader.GetBoolean(2), reader.GetFieldValue<DateTimeOffset>(3),
                Time(reader, 4), Time(reader, 5), Time(reader, 6), Time(reader, 7), Time(reader, 8), reader.GetInt32(9), Time(reader, 10)));
        }

        return places;
    }

    /// <summary>One value of the event's queue row (<c>queues</c>).</summary>
    public static async Task<T> QueueAsync<T>(BoxofficeApp boxoffice, Guid eventId, string column)
    {
        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("waitingroomdb"));
        return (T)(await BookingInvariantTests.ScalarAsync(db, $"SELECT {column} FROM queues WHERE event_id = $1", eventId))!;
    }

    private static DateTimeOffset? Time(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);
}
