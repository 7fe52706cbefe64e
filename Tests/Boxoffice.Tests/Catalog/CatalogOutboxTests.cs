using System.Net;
using System.Text;
using Boxoffice.Contracts;
using Boxoffice.Contracts.Catalog;
using Boxoffice.Messaging;
using Confluent.Kafka;
using Npgsql;

namespace Boxoffice.Tests.Catalog;

/// <summary>
/// Publishing an event announces its inventory on Kafka through the catalog's outbox: committed
/// with the change, relayed when the broker acknowledges, kept and retried while it is away.
/// </summary>
[Collection<RunningApp>]
public sealed class CatalogOutboxTests(BoxofficeApp boxoffice)
{
    [Fact]
    public async Task Publishing_announces_the_whole_sellable_inventory_as_a_CloudEvent()
    {
        using var consumer = await CatalogEvents.SubscribeAsync(boxoffice);
        using var organizer = await Organizer.NewAsync(boxoffice);
        var id = await organizer.EventAsync("Inventory check", "publish");

        var message = CatalogEvents.Next(consumer, id, "boxoffice.catalog.event-published");
        var envelope = CloudEvent.Deserialize<EventPublished>(message.Value);

        Assert.Equal("application/cloudevents+json; charset=utf-8", Header(message, "content-type"));
        Assert.Equal("1.0", envelope.SpecVersion);
        Assert.Equal("/boxoffice/catalog", envelope.Source);
        Assert.Equal(id.ToString(), envelope.Subject);
        var published = envelope.Data;
        Assert.Equal(id, published.EventId);
        Assert.Equal(organizer.Id, published.OrganizerId);
        Assert.Equal("EUR", published.Currency);
        Assert.Equal(2, published.Tiers.Count);
        // Only what a tier prices is for sale: the unpriced box is not in the inventory.
        Assert.Equal(["Stalls", "Floor"], published.Sections.Select(section => section.Name));
        Assert.Equal(300, published.Sections.Sum(section => section.Capacity));
        Assert.Equal(200, published.Sections[0].Rows.Sum(row => row.Seats));
        Assert.Equal(published.Tiers[1].TierId, published.Sections[1].TierId);
    }

    [Fact]
    public async Task An_event_published_while_the_broker_is_down_is_delivered_when_it_is_back()
    {
        using var consumer = await CatalogEvents.SubscribeAsync(boxoffice);
        using var organizer = await Organizer.NewAsync(boxoffice);
        var id = await organizer.CreateEventAsync();
        using var control = new HttpClient { BaseAddress = boxoffice.App.GetEndpoint("kafka-broker", "http") };
        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("catalogdb"));

        (await control.PostAsync("/broker/down", null, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        long pending;
        try
        {
            // The organizer's change does not depend on the broker: it commits with its event.
            await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/organizer/events/{id}/publish");
            await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);
            pending = await UnpublishedAsync(db, id);
        }
        finally
        {
            (await control.PostAsync("/broker/up", null, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        }

        var message = CatalogEvents.Next(consumer, id, "boxoffice.catalog.event-published", TimeSpan.FromSeconds(60));
        Assert.Equal(1, pending);
        Assert.Equal(id, CloudEvent.Deserialize<EventPublished>(message.Value).Data.EventId);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await UnpublishedAsync(db, id) > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The relay did not mark the delivered row as published.");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task An_event_too_large_for_one_message_is_refused_before_it_can_block_the_outbox()
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        // 4,000 one-seat rows whose labels are mostly '<', six bytes each (\u003C) in the
        // announcement: about 300 KB, over the limit the tests configure (200 KB).
        var sections = Enumerable.Range(0, 40).Select(s => new
        {
            name = $"Block {s}",
            kind = "seated",
            rows = Enumerable.Range(0, 100).Select(r => new { label = $"{r:D2}<<<<<<<<", seats = 1 }),
        }).ToList();
        var venue = await organizer.CreateVenueAsync(new { name = "Labyrinth", city = "Porto", sections });
        var body = System.Text.Json.JsonSerializer.SerializeToNode(Organizer.Event(venue))!.AsObject();
        body["tiers"] = new System.Text.Json.Nodes.JsonArray(System.Text.Json.JsonSerializer.SerializeToNode(
            new { name = "All", price = 10m, sections = sections.Select(section => section.name) }));
        var id = (await organizer.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/organizer/events", body.ToJsonString())).GetProperty("id").GetGuid();

        var refused = await organizer.ExpectAsync(HttpStatusCode.UnprocessableEntity, HttpMethod.Post, $"/organizer/events/{id}/publish");

        Assert.Equal("https://boxoffice.dev/problems/inventory-too-large", refused.GetProperty("type").GetString());
        var after = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/organizer/events/{id}");
        Assert.Equal("draft", after.GetProperty("status").GetString());
        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("catalogdb"));
        await using var command = db.CreateCommand("SELECT count(*) FROM outbox WHERE key = $1");
        command.Parameters.AddWithValue(id.ToString());
        Assert.Equal(0L, await command.ExecuteScalarAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Opening_closing_and_cancelling_are_announced_in_order_with_growing_versions()
    {
        using var consumer = await CatalogEvents.SubscribeAsync(boxoffice);
        using var organizer = await Organizer.NewAsync(boxoffice);
        var id = await organizer.EventAsync(null, "publish", "open-sale", "close");
        var other = await organizer.EventAsync(null, "publish", "cancel");

        // Events of one key keep their order (one partition); keys may interleave.
        var messages = Collect(consumer, (id, 3), (other, 2));
        var (first, second) = (messages[id], messages[other]);

        Assert.Equal(["boxoffice.catalog.event-published", "boxoffice.catalog.event-updated", "boxoffice.catalog.event-updated"], first.Select(m => CloudEvent.PeekType(m.Value)));
        Assert.Equal(["boxoffice.catalog.event-published", "boxoffice.catalog.event-cancelled"], second.Select(m => CloudEvent.PeekType(m.Value)));
        var published = CloudEvent.Deserialize<EventPublished>(first[0].Value).Data;
        var opened = CloudEvent.Deserialize<EventUpdated>(first[1].Value).Data;
        var closed = CloudEvent.Deserialize<EventUpdated>(first[2].Value).Data;
        var cancelled = CloudEvent.Deserialize<EventCancelled>(second[1].Value).Data;
        Assert.Equal(EventStatus.OnSale, opened.Status);
        Assert.Equal(EventStatus.Closed, closed.Status);
        Assert.True(published.Version < opened.Version && opened.Version < closed.Version);
        Assert.Equal(other, cancelled.EventId);
    }

    /// <summary>The first messages about each event (as many as wanted), each event's in the order they arrived.</summary>
    private static Dictionary<Guid, List<Message<string, byte[]>>> Collect(IConsumer<string, byte[]> consumer, params (Guid EventId, int Count)[] wanted)
    {
        var found = wanted.ToDictionary(want => want.EventId, _ => new List<Message<string, byte[]>>());
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (wanted.Any(want => found[want.EventId].Count < want.Count))
        {
            Assert.True(DateTime.UtcNow < deadline, $"Not every message arrived on {Topics.CatalogEvents}: {string.Join(", ", found.Select(pair => $"{pair.Key} {pair.Value.Count}"))}.");
            if (consumer.Consume(TimeSpan.FromMilliseconds(200))?.Message is { } message
                && Guid.TryParse(message.Key, out var key) && found.TryGetValue(key, out var messages))
            {
                messages.Add(message);
            }
        }

        return found;
    }

    private static string? Header(Message<string, byte[]> message, string name) =>
        message.Headers.TryGetLastBytes(name, out var value) ? Encoding.UTF8.GetString(value) : null;

    private static async Task<long> UnpublishedAsync(NpgsqlDataSource db, Guid eventId)
    {
        await using var command = db.CreateCommand("SELECT count(*) FROM outbox WHERE key = $1 AND published_at IS NULL");
        command.Parameters.AddWithValue(eventId.ToString());
        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}
