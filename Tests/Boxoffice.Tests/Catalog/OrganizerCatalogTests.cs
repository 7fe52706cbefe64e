using System.Net.Http.Json;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Boxoffice.Contracts.Catalog;
using Boxoffice.Messaging;

namespace Boxoffice.Tests.Catalog;

/// <summary>Organizers build venues and events through the gateway and move events through their life cycle.</summary>
[Collection<RunningApp>]
public sealed class OrganizerCatalogTests(BoxofficeApp boxoffice)
{
    [Fact]
    public async Task A_20000_seat_venue_is_created_in_one_request_and_read_back_whole()
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        var venue = new
        {
            name = "Estádio",
            city = "Lisboa",
            sections = Enumerable.Range(1, 4).Select(s => new
            {
                name = $"Stand {s}",
                kind = "seated",
                rows = Enumerable.Range(1, 100).Select(r => new { label = $"R{r}", seats = 50 }),
            }),
        };

        var created = await organizer.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/organizer/venues", venue);
        var id = created.GetProperty("id").GetGuid();
        var read = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/organizer/venues/{id}");

        Assert.Equal(20_000, created.GetProperty("capacity").GetInt32());
        Assert.Equal(20_000, read.GetProperty("capacity").GetInt32());
        var sections = read.GetProperty("sections").EnumerateArray().ToList();
        Assert.Equal(["Stand 1", "Stand 2", "Stand 3", "Stand 4"], sections.Select(s => s.GetProperty("name").GetString()));
        Assert.All(sections, section => Assert.Equal(100, section.GetProperty("rows").GetArrayLength()));
        Assert.Equal("R100", sections[3].GetProperty("rows")[99].GetProperty("label").GetString());
        Assert.Equal(20_000, sections.Sum(s => s.GetProperty("rows").EnumerateArray().Sum(r => r.GetProperty("seats").GetInt32())));
    }

    [Fact]
    public async Task The_location_of_a_created_venue_or_event_answers_through_the_gateway()
    {
        using var organizer = await Organizer.NewAsync(boxoffice);

        using var venue = await organizer.SendAsync(HttpMethod.Post, "/organizer/venues", Organizer.Venue());
        var venueBody = await venue.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        using var created = await organizer.SendAsync(HttpMethod.Post, "/organizer/events", Organizer.Event(venueBody.GetProperty("id").GetGuid()));
        var createdBody = await created.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);

        foreach (var (response, body) in new[] { (venue, venueBody), (created, createdBody) })
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var location = new Uri(response.RequestMessage!.RequestUri!, response.Headers.Location!);
            Assert.StartsWith("/api/catalog/organizer/", location.AbsolutePath);
            var read = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, location.AbsolutePath["/api/catalog".Length..]);
            Assert.Equal(body.GetProperty("id").GetGuid(), read.GetProperty("id").GetGuid());
        }
    }

    [Fact]
    public async Task An_event_goes_from_draft_to_published_to_on_sale_to_closed()
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        var id = await organizer.CreateEventAsync();

        var draft = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/organizer/events/{id}");
        var published = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/organizer/events/{id}/publish");
        var onSale = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/organizer/events/{id}/open-sale");
        var closed = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/organizer/events/{id}/close");

        Assert.Equal("draft", draft.GetProperty("status").GetString());
        Assert.Equal("published", published.GetProperty("status").GetString());
        Assert.Equal("on-sale", onSale.GetProperty("status").GetString());
        Assert.Equal("closed", closed.GetProperty("status").GetString());
        Assert.True(closed.GetProperty("version").GetInt32() > draft.GetProperty("version").GetInt32());
        // Tier sections are stored as the venue spells them.
        Assert.Equal("Floor", draft.GetProperty("tiers")[1].GetProperty("sections")[0].GetString());
    }

    [Theory]
    [InlineData(new string[0], "open-sale", "draft")]
    [InlineData(new string[0], "close", "draft")]
    [InlineData(new[] { "publish" }, "publish", "published")]
    [InlineData(new[] { "publish" }, "close", "published")]
    [InlineData(new[] { "publish", "open-sale" }, "publish", "on-sale")]
    [InlineData(new[] { "publish", "open-sale", "close" }, "cancel", "closed")]
    [InlineData(new[] { "publish", "open-sale", "close" }, "open-sale", "closed")]
    [InlineData(new[] { "cancel" }, "publish", "cancelled")]
    [InlineData(new[] { "publish", "cancel" }, "cancel", "cancelled")]
    public async Task A_transition_the_life_cycle_does_not_allow_gets_409_and_changes_nothing(string[] before, string action, string status)
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        var id = await organizer.EventAsync(null, before);
        var version = (await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/organizer/events/{id}")).GetProperty("version").GetInt32();

        using var response = await organizer.SendAsync(HttpMethod.Post, $"/organizer/events/{id}/{action}");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal("https://boxoffice.dev/problems/event-state", problem.GetProperty("type").GetString());
        Assert.Equal(409, problem.GetProperty("status").GetInt32());
        Assert.Equal(status, problem.GetProperty("eventStatus").GetString());
        var after = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/organizer/events/{id}");
        Assert.Equal(status, after.GetProperty("status").GetString());
        Assert.Equal(version, after.GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task A_draft_can_be_changed_but_a_published_event_cannot()
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        var venue = await organizer.CreateVenueAsync();
        var id = await organizer.CreateEventAsync(venue);

        var changed = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Put, $"/organizer/events/{id}", Organizer.Event(venue, "Renamed"));
        await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/organizer/events/{id}/publish");
        await organizer.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Put, $"/organizer/events/{id}", Organizer.Event(venue, "Renamed again"));

        Assert.Equal("Renamed", changed.GetProperty("name").GetString());
        var after = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/organizer/events/{id}");
        Assert.Equal("Renamed", after.GetProperty("name").GetString());
    }

    [Fact]
    public async Task An_organizer_cannot_see_use_or_change_another_organizers_venues_and_events()
    {
        using var alice = await Organizer.NewAsync(boxoffice);
        using var bob = await Organizer.NewAsync(boxoffice);
        var venue = await alice.CreateVenueAsync();
        var draft = await alice.CreateEventAsync(venue, "Alice's draft");

        await bob.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/organizer/venues/{venue}");
        await bob.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/organizer/events/{draft}");
        await bob.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Put, $"/organizer/events/{draft}", Organizer.Event(venue));
        await bob.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"/organizer/events/{draft}/publish");
        await bob.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"/organizer/events/{draft}/cancel");
        await bob.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Put, $"/organizer/events/{draft}/waiting-room", new { admitPerSecond = 1 });
        await bob.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Delete, $"/organizer/events/{draft}/waiting-room");
        await bob.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Put, $"/organizer/events/{draft}/ticket-limit", new { ticketLimit = 1 });
        await bob.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Delete, $"/organizer/events/{draft}/ticket-limit");
        var usingAlicesVenue = await bob.ExpectAsync(HttpStatusCode.BadRequest, HttpMethod.Post, "/organizer/events", Organizer.Event(venue));
        var bobsEvents = await bob.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/organizer/events");
        var bobsVenues = await bob.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/organizer/venues");

        Assert.True(usingAlicesVenue.GetProperty("errors").TryGetProperty("venueId", out _));
        Assert.Equal(0, bobsEvents.GetArrayLength());
        Assert.Equal(0, bobsVenues.GetArrayLength());
        var alicesEvents = await alice.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/organizer/events");
        var unchanged = Assert.Single(alicesEvents.EnumerateArray());
        Assert.Equal("Alice's draft", unchanged.GetProperty("name").GetString());
        Assert.Equal("draft", unchanged.GetProperty("status").GetString());
        var alicesDraft = await alice.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/organizer/events/{draft}");
        Assert.Equal(JsonValueKind.Null, alicesDraft.GetProperty("waitingRoom").ValueKind);
        Assert.Equal(JsonValueKind.Null, alicesDraft.GetProperty("ticketLimit").ValueKind);
    }

    [Fact]
    public async Task An_empty_waiting_room_is_created_with_its_defaults_resolved_and_shown_publicly_once_published()
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        var venue = await organizer.CreateVenueAsync();
        using var gateway = boxoffice.CreateGatewayClient();

        var created = await organizer.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/organizer/events", WithWaitingRoom(Organizer.Event(venue), new { }));
        var id = created.GetProperty("id").GetGuid();
        var withoutRoom = await organizer.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/organizer/events", Organizer.Event(venue));
        await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/organizer/events/{id}/publish");
        var published = await gateway.GetFromJsonAsync<JsonElement>($"/api/catalog/events/{id}", TestContext.Current.CancellationToken);

        var room = created.GetProperty("waitingRoom");
        Assert.Equal(created.GetProperty("saleOpensAt").GetDateTimeOffset().AddHours(-1), room.GetProperty("prequeueOpensAt").GetDateTimeOffset());
        Assert.Equal(50, room.GetProperty("admitPerSecond").GetInt32());
        Assert.Equal(JsonValueKind.Null, room.GetProperty("maxAdmitted").ValueKind);
        Assert.Equal(15, room.GetProperty("admissionMinutes").GetInt32());
        Assert.Equal(0, room.GetProperty("proofOfWorkBits").GetInt32());
        Assert.Equal(room.GetRawText(), published.GetProperty("waitingRoom").GetRawText());
        Assert.Equal(JsonValueKind.Null, withoutRoom.GetProperty("waitingRoom").ValueKind);
    }

    [Fact]
    public async Task A_waiting_room_put_on_a_published_event_is_announced_with_a_new_version()
    {
        using var consumer = await CatalogEvents.SubscribeAsync(boxoffice);
        using var organizer = await Organizer.NewAsync(boxoffice);
        var id = await organizer.EventAsync(null, "publish");
        var before = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/organizer/events/{id}");
        var opensAt = before.GetProperty("saleOpensAt").GetDateTimeOffset();

        var changed = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Put, $"/organizer/events/{id}/waiting-room",
            new { prequeueOpensAt = opensAt.AddMinutes(-30), admitPerSecond = 200, maxAdmitted = 1_000, proofOfWorkBits = 8 });

        var published = CloudEvent.Deserialize<EventPublished>(CatalogEvents.Next(consumer, id, "boxoffice.catalog.event-published").Value).Data;
        var updated = CloudEvent.Deserialize<EventUpdated>(CatalogEvents.Next(consumer, id, "boxoffice.catalog.event-updated").Value).Data;
        Assert.Null(published.WaitingRoom);
        Assert.Equal(new WaitingRoomSettings(opensAt.AddMinutes(-30), 200, 1_000, 15, 8), updated.WaitingRoom);
        Assert.Equal(EventStatus.Published, updated.Status);
        Assert.Equal(changed.GetProperty("version").GetInt32(), updated.Version);
        Assert.True(updated.Version > published.Version);
        Assert.Equal(200, changed.GetProperty("waitingRoom").GetProperty("admitPerSecond").GetInt32());
    }

    [Fact]
    public async Task Deleting_the_waiting_room_turns_it_off_announces_it_once_and_the_sale_stays_on()
    {
        using var consumer = await CatalogEvents.SubscribeAsync(boxoffice);
        using var organizer = await Organizer.NewAsync(boxoffice);
        var venue = await organizer.CreateVenueAsync();
        var id = (await organizer.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/organizer/events",
            WithWaitingRoom(Organizer.Event(venue), new { maxAdmitted = 500 }))).GetProperty("id").GetGuid();
        await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/organizer/events/{id}/publish");
        var onSale = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/organizer/events/{id}/open-sale");

        await organizer.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/organizer/events/{id}/waiting-room");
        var off = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/organizer/events/{id}");
        await organizer.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/organizer/events/{id}/waiting-room");
        var again = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/organizer/events/{id}");

        var published = CloudEvent.Deserialize<EventPublished>(CatalogEvents.Next(consumer, id, "boxoffice.catalog.event-published").Value).Data;
        var opened = CloudEvent.Deserialize<EventUpdated>(CatalogEvents.Next(consumer, id, "boxoffice.catalog.event-updated").Value).Data;
        var removed = CloudEvent.Deserialize<EventUpdated>(CatalogEvents.Next(consumer, id, "boxoffice.catalog.event-updated").Value).Data;
        // A cap without a rate has no rate.
        Assert.Equal(new WaitingRoomSettings(published.SaleOpensAt.AddHours(-1), null, 500, 15, 0), published.WaitingRoom);
        Assert.Equal(published.WaitingRoom, opened.WaitingRoom);
        Assert.Null(removed.WaitingRoom);
        Assert.Equal(EventStatus.OnSale, removed.Status);
        Assert.Equal(off.GetProperty("version").GetInt32(), removed.Version);
        Assert.Equal(onSale.GetProperty("version").GetInt32() + 1, removed.Version);
        Assert.Equal(JsonValueKind.Null, off.GetProperty("waitingRoom").ValueKind);
        Assert.Equal("on-sale", off.GetProperty("status").GetString());
        // Removing what is not there changes nothing.
        Assert.Equal(off.GetProperty("version").GetInt32(), again.GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task A_drafts_waiting_room_can_be_put_and_removed_without_an_announcement()
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        var id = await organizer.CreateEventAsync();

        var put = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Put, $"/organizer/events/{id}/waiting-room", new { admissionMinutes = 5 });
        await organizer.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/organizer/events/{id}/waiting-room");
        var after = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/organizer/events/{id}");

        Assert.Equal("draft", put.GetProperty("status").GetString());
        Assert.Equal(5, put.GetProperty("waitingRoom").GetProperty("admissionMinutes").GetInt32());
        Assert.Equal(50, put.GetProperty("waitingRoom").GetProperty("admitPerSecond").GetInt32());
        Assert.Equal(JsonValueKind.Null, after.GetProperty("waitingRoom").ValueKind);
        await using var db = Npgsql.NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("catalogdb"));
        await using var command = db.CreateCommand("SELECT count(*) FROM outbox WHERE key = $1");
        command.Parameters.AddWithValue(id.ToString());
        Assert.Equal(0L, await command.ExecuteScalarAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("close")]
    [InlineData("cancel")]
    public async Task The_waiting_room_of_an_event_whose_sale_ended_cannot_change(string end)
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        var id = await organizer.EventAsync(null, end == "close" ? ["publish", "open-sale", "close"] : ["publish", "cancel"]);
        var before = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/organizer/events/{id}");

        var put = await organizer.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Put, $"/organizer/events/{id}/waiting-room", new { admitPerSecond = 10 });
        var delete = await organizer.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Delete, $"/organizer/events/{id}/waiting-room");

        var status = before.GetProperty("status").GetString();
        Assert.All([put, delete], problem =>
        {
            Assert.Equal("https://boxoffice.dev/problems/event-state", problem.GetProperty("type").GetString());
            Assert.Equal(status, problem.GetProperty("eventStatus").GetString());
        });
        var after = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/organizer/events/{id}");
        Assert.Equal(before.GetProperty("version").GetInt32(), after.GetProperty("version").GetInt32());
        Assert.Equal(JsonValueKind.Null, after.GetProperty("waitingRoom").ValueKind);
    }

    [Fact]
    public async Task A_ticket_limit_is_kept_through_draft_edits_shown_to_the_organizer_and_publicly_and_carried_by_EventPublished()
    {
        using var consumer = await CatalogEvents.SubscribeAsync(boxoffice);
        using var organizer = await Organizer.NewAsync(boxoffice);
        using var gateway = boxoffice.CreateGatewayClient();
        var venue = await organizer.CreateVenueAsync();

        var created = await organizer.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/organizer/events", Organizer.Event(venue, ticketLimit: 4));
        var id = created.GetProperty("id").GetGuid();
        var edited = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Put, $"/organizer/events/{id}", Organizer.Event(venue, "Renamed", ticketLimit: 2));
        var without = (await organizer.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/organizer/events", Organizer.Event(venue))).GetProperty("id").GetGuid();
        await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/organizer/events/{id}/publish");
        await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/organizer/events/{without}/publish");
        var own = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/organizer/events/{id}");
        var shown = await gateway.GetFromJsonAsync<JsonElement>($"/api/catalog/events/{id}", TestContext.Current.CancellationToken);
        var shownWithout = await gateway.GetFromJsonAsync<JsonElement>($"/api/catalog/events/{without}", TestContext.Current.CancellationToken);

        Assert.Equal(4, created.GetProperty("ticketLimit").GetInt32());
        Assert.Equal(2, edited.GetProperty("ticketLimit").GetInt32());
        Assert.Equal(2, own.GetProperty("ticketLimit").GetInt32());
        Assert.Equal(2, shown.GetProperty("ticketLimit").GetInt32());
        Assert.Equal(JsonValueKind.Null, shownWithout.GetProperty("ticketLimit").ValueKind);
        var published = CloudEvent.Deserialize<EventPublished>(CatalogEvents.Next(consumer, id, "boxoffice.catalog.event-published").Value).Data;
        var publishedWithout = CloudEvent.Deserialize<EventPublished>(CatalogEvents.Next(consumer, without, "boxoffice.catalog.event-published").Value).Data;
        Assert.Equal(2, published.TicketLimit);
        Assert.Equal(own.GetProperty("version").GetInt32(), published.Version);
        Assert.Null(publishedWithout.TicketLimit);
    }

    [Fact]
    public async Task A_published_events_ticket_limit_changes_until_its_sale_ends_and_every_update_carries_the_limit_as_it_is_now()
    {
        using var consumer = await CatalogEvents.SubscribeAsync(boxoffice);
        using var organizer = await Organizer.NewAsync(boxoffice);
        var id = await organizer.EventAsync(null, "publish");
        var path = $"/organizer/events/{id}/ticket-limit";

        var set = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Put, path, new { ticketLimit = 2 });
        await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/organizer/events/{id}/open-sale");
        var raised = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Put, path, new { ticketLimit = 10 });
        await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Put, $"/organizer/events/{id}/waiting-room", new { admitPerSecond = 20 });
        await organizer.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, path);
        var off = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/organizer/events/{id}");
        await organizer.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, path);
        var again = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/organizer/events/{id}");
        await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/organizer/events/{id}/close");
        var closed = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/organizer/events/{id}");
        var put = await organizer.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Put, path, new { ticketLimit = 3 });
        var delete = await organizer.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Delete, path);

        var updates = Enumerable.Range(0, 6)
            .Select(_ => CloudEvent.Deserialize<EventUpdated>(CatalogEvents.Next(consumer, id, "boxoffice.catalog.event-updated").Value).Data)
            .ToList();
        // Set, opened, raised, a waiting room, removed, closed: each carries the limit as it was then.
        Assert.Equal(new int?[] { 2, 2, 10, 10, null, null }, updates.Select(update => update.TicketLimit));
        Assert.Equal([EventStatus.Published, EventStatus.OnSale, EventStatus.OnSale, EventStatus.OnSale, EventStatus.OnSale, EventStatus.Closed], updates.Select(update => update.Status));
        Assert.Equal(set.GetProperty("version").GetInt32(), updates[0].Version);
        Assert.Equal(raised.GetProperty("version").GetInt32(), updates[2].Version);
        Assert.Equal(off.GetProperty("version").GetInt32(), updates[4].Version);
        Assert.Equal(2, set.GetProperty("ticketLimit").GetInt32());
        Assert.Equal(10, raised.GetProperty("ticketLimit").GetInt32());
        Assert.Equal(JsonValueKind.Null, off.GetProperty("ticketLimit").ValueKind);
        // Removing what is not there changes nothing; a closed event's limit does not change.
        Assert.Equal(off.GetProperty("version").GetInt32(), again.GetProperty("version").GetInt32());
        Assert.All([put, delete], problem =>
        {
            Assert.Equal("https://boxoffice.dev/problems/event-state", problem.GetProperty("type").GetString());
            Assert.Equal("closed", problem.GetProperty("eventStatus").GetString());
        });
        var after = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/organizer/events/{id}");
        Assert.Equal(closed.GetProperty("version").GetInt32(), after.GetProperty("version").GetInt32());
        Assert.Equal(JsonValueKind.Null, after.GetProperty("ticketLimit").ValueKind);
    }

    /// <summary>An event's body with a <c>waitingRoom</c>.</summary>
    private static string WithWaitingRoom(object @event, object room)
    {
        var node = JsonSerializer.SerializeToNode(@event)!.AsObject();
        node["waitingRoom"] = JsonSerializer.SerializeToNode(room);
        return node.ToJsonString();
    }

    [Fact]
    public async Task An_organizer_pages_through_every_venue_and_event_and_a_bad_or_foreign_cursor_is_a_400()
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        using var other = await Organizer.NewAsync(boxoffice);
        var events = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            events.Add(await organizer.CreateEventAsync());
        }

        var foreign = await other.CreateEventAsync();

        // Each list, two at a time, following the Link header: every item once, in order.
        foreach (var (path, idName) in new[] { ("/organizer/events", "id"), ("/organizer/venues", "id") })
        {
            var seen = new List<Guid>();
            var next = $"{path}?limit=2";
            var pages = 0;
            while (next is not null)
            {
                using var response = await organizer.SendAsync(HttpMethod.Get, next);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var page = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
                Assert.InRange(page.GetArrayLength(), 1, 2);
                seen.AddRange(page.EnumerateArray().Select(item => item.GetProperty(idName).GetGuid()));
                next = response.Headers.TryGetValues("Link", out var links)
                    ? path + links.Single().Split('>')[0].TrimStart('<')
                    : null;
                pages++;
            }

            Assert.Equal(3, pages);
            Assert.Equal(5, seen.Distinct().Count());
            Assert.Equal(5, seen.Count);
            if (path == "/organizer/events")
            {
                Assert.Equal(events, seen); // soonest first: each was made to start a little later
            }
        }

        await organizer.ExpectAsync(HttpStatusCode.BadRequest, HttpMethod.Get, "/organizer/events?limit=0");
        await organizer.ExpectAsync(HttpStatusCode.BadRequest, HttpMethod.Get, "/organizer/events?limit=101");
        await organizer.ExpectAsync(HttpStatusCode.BadRequest, HttpMethod.Get, "/organizer/venues?after=not-an-id");
        // Another organizer's event is no place in this organizer's list.
        var problem = await organizer.ExpectAsync(HttpStatusCode.BadRequest, HttpMethod.Get, $"/organizer/events?after={foreign}");
        Assert.True(problem.GetProperty("errors").TryGetProperty("after", out _));
    }

    [Fact]
    public async Task An_organizer_past_the_creation_quota_gets_429_with_Retry_After_and_nothing_is_created()
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        var venueId = await organizer.CreateVenueAsync();
        for (var i = 1; i < BoxofficeApp.OrganizerQuota; i++)
        {
            await organizer.CreateVenueAsync();
        }

        for (var i = 0; i < BoxofficeApp.OrganizerQuota; i++)
        {
            await organizer.CreateEventAsync(venueId);
        }

        using var venue = await organizer.SendAsync(HttpMethod.Post, "/organizer/venues", Organizer.Venue("One too many"));
        using var @event = await organizer.SendAsync(HttpMethod.Post, "/organizer/events", Organizer.Event(venueId, "One too many"));

        foreach (var refused in new[] { venue, @event })
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.FromHours(23), $"Retry-After {refused.Headers.RetryAfter}");
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
            Assert.Equal("https://boxoffice.dev/problems/organizer-quota", problem.GetProperty("type").GetString());
            Assert.Equal(BoxofficeApp.OrganizerQuota, problem.GetProperty("limit").GetInt32());
        }

        Assert.Equal(BoxofficeApp.OrganizerQuota, (await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/organizer/venues?limit=100")).GetArrayLength());
        Assert.Equal(BoxofficeApp.OrganizerQuota, (await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/organizer/events?limit=100")).GetArrayLength());

        // Another organizer's quota is their own.
        using var other = await Organizer.NewAsync(boxoffice);
        await other.CreateEventAsync();
    }
}
