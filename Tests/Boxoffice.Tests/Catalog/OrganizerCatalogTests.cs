using System.Net.Http.Json;
using System.Net;
using System.Text.Json;

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
    }
}
