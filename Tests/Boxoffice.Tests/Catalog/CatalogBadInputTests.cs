using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Boxoffice.Tests.Catalog;

/// <summary>
/// Hostile and careless input to the organizer API: every refusal is a 4xx problem naming the
/// field, never a 500 or a stack trace, and nothing is half-written.
/// </summary>
[Collection<RunningApp>]
public sealed class CatalogBadInputTests(BoxofficeApp boxoffice)
{
    private const string Hall = """{"name": "Hall", "city": "Porto", "sections": """;
    private const string LongName = "NAME_OF_201_CHARACTERS";

    [Theory]
    [InlineData("""{"name": "Hall",""", "")]
    [InlineData(Hall + """[{"name": "Stalls", "kind": "seated", "rows": [{"label": "A", "seats": "many"}]}]}""", "sections[0].rows[0].seats")]
    [InlineData(Hall + "\"all\"}", "sections")]
    [InlineData("""{"city": "Porto", "sections": [{"name": "Floor", "kind": "general-admission", "capacity": 10}]}""", "name")]
    [InlineData("""{"name": "Hall", "city": "Porto"}""", "sections")]
    [InlineData(Hall + "[]}", "sections")]
    [InlineData(Hall + """[{"name": "Floor", "kind": "general-admission", "capacity": -5}]}""", "capacity")]
    [InlineData(Hall + """[{"name": "Stalls", "kind": "seated", "rows": [{"label": "A", "seats": 0}]}]}""", "seats")]
    [InlineData(Hall + """[{"name": "Stalls", "kind": "seated"}]}""", "sections[0].rows")]
    [InlineData(Hall + """[{"name": "Floor", "kind": "general-admission"}]}""", "sections[0].capacity")]
    [InlineData(Hall + """[{"name": "Floor", "kind": "general-admission", "capacity": 10}, {"name": "FLOOR", "kind": "general-admission", "capacity": 10}]}""", "sections[1].name")]
    [InlineData(Hall + """[{"name": "Stalls", "kind": "seated", "rows": [{"label": "A", "seats": 5}, {"label": "a", "seats": 5}]}]}""", "sections[0].rows[1].label")]
    [InlineData("""{"name": "NAME_OF_201_CHARACTERS", "city": "Porto", "sections": [{"name": "Floor", "kind": "general-admission", "capacity": 10}]}""", "name")]
    [InlineData(Hall + """[{"name": "North", "kind": "general-admission", "capacity": 150000}, {"name": "South", "kind": "general-admission", "capacity": 150000}]}""", "sections")]
    [InlineData(Hall + """[{"name": "Gallery", "kind": "balcony", "capacity": 10}]}""", "kind")]
    [InlineData(Hall + "[null]}", "sections[0]")]
    [InlineData(Hall + """[{"name": "Gallery", "kind": 0, "capacity": 10}]}""", "kind")]
    [InlineData(Hall + """[{"name": "A\u0000B", "kind": "general-admission", "capacity": 10}]}""", "sections[0].name")]
    public async Task A_hostile_venue_body_gets_a_400_problem_naming_the_field_and_writes_nothing(string json, string field)
    {
        using var organizer = await Organizer.NewAsync(boxoffice);

        using var response = await organizer.SendAsync(HttpMethod.Post, "/organizer/venues", json.Replace(LongName, new string('x', 201)));

        var problem = await ExpectProblemAsync(response, HttpStatusCode.BadRequest);
        if (field.Length > 0)
        {
            AssertNames(problem, field);
        }

        var venues = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/organizer/venues");
        Assert.Equal(0, venues.GetArrayLength());
    }

    [Fact]
    public async Task A_venue_of_more_rows_than_one_message_can_announce_gets_a_400_and_writes_nothing()
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        var sections = Enumerable.Range(1, 11).Select(s => new
        {
            name = $"Block {s}",
            kind = "seated",
            rows = Enumerable.Range(1, 1_000).Select(r => new { label = $"{r}", seats = 1 }),
        });

        using var response = await organizer.SendAsync(HttpMethod.Post, "/organizer/venues", new { name = "Maze", city = "Porto", sections });

        var problem = await ExpectProblemAsync(response, HttpStatusCode.BadRequest);
        AssertNames(problem, "sections");
        Assert.Equal(0, (await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/organizer/venues")).GetArrayLength());
    }

    [Theory]
    [InlineData("sale closes before it opens", "saleClosesAt")]
    [InlineData("sale closes after the event starts", "saleClosesAt")]
    [InlineData("sale lasts less than a microsecond", "saleClosesAt")]
    [InlineData("event starts in the past", "startsAt")]
    [InlineData("venue is not known", "venueId")]
    [InlineData("venue id is missing", "venueId")]
    [InlineData("currency is not a code", "currency")]
    [InlineData("price is negative", "price")]
    [InlineData("price has three decimals", "tiers[0].price")]
    [InlineData("tier names a section the venue lacks", "tiers[0].sections")]
    [InlineData("two tiers price one section", "tiers[1].sections")]
    [InlineData("tiers are empty", "tiers")]
    [InlineData("start is missing", "startsAt")]
    [InlineData("pre-queue opens after the sale", "waitingRoom.prequeueOpensAt")]
    [InlineData("waiting room admits nobody a second", "admitPerSecond")]
    [InlineData("waiting room admits more than 10,000 a second", "admitPerSecond")]
    [InlineData("waiting room admits nobody at once", "maxAdmitted")]
    [InlineData("admission lasts more than 2 hours", "admissionMinutes")]
    [InlineData("proof of work asks more than 24 bits", "proofOfWorkBits")]
    [InlineData("proof of work asks negative bits", "proofOfWorkBits")]
    [InlineData("waiting room is not an object", "waitingRoom")]
    [InlineData("ticket limit is zero", "ticketLimit")]
    [InlineData("ticket limit is negative", "ticketLimit")]
    [InlineData("ticket limit is over 10", "ticketLimit")]
    [InlineData("ticket limit is not an integer", "ticketLimit")]
    [InlineData("ticket limit is text", "ticketLimit")]
    public async Task A_hostile_event_body_gets_a_400_problem_naming_the_field_and_writes_nothing(string change, string field)
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        var venue = await organizer.CreateVenueAsync();
        var now = DateTimeOffset.UtcNow;
        var node = JsonSerializer.SerializeToNode(Organizer.Event(venue))!.AsObject();
        var tiers = node["tiers"]!.AsArray();
        switch (change)
        {
            case "sale closes before it opens":
                node["saleOpensAt"] = now.AddDays(10);
                node["saleClosesAt"] = now.AddDays(5);
                break;
            case "sale closes after the event starts":
                node["saleClosesAt"] = now.AddDays(61);
                break;
            case "sale lasts less than a microsecond":
                // Different in .NET's 100 ns ticks, equal at PostgreSQL's microseconds.
                node["saleOpensAt"] = "2030-01-01T00:00:00.0000001Z";
                node["saleClosesAt"] = "2030-01-01T00:00:00.0000002Z";
                break;
            case "event starts in the past":
                node["startsAt"] = now.AddDays(-1);
                node["saleOpensAt"] = now.AddDays(-3);
                node["saleClosesAt"] = now.AddDays(-2);
                break;
            case "venue is not known":
                node["venueId"] = Guid.NewGuid();
                break;
            case "venue id is missing":
                node.Remove("venueId");
                break;
            case "currency is not a code":
                node["currency"] = "euro";
                break;
            case "price is negative":
                tiers[0]!["price"] = -1m;
                break;
            case "price has three decimals":
                tiers[0]!["price"] = 10.005m;
                break;
            case "tier names a section the venue lacks":
                tiers[0]!["sections"] = new JsonArray("Balcony");
                break;
            case "two tiers price one section":
                tiers[1]!["sections"] = new JsonArray("STALLS");
                break;
            case "tiers are empty":
                node["tiers"] = new JsonArray();
                break;
            case "start is missing":
                node.Remove("startsAt");
                break;
            case "pre-queue opens after the sale":
                node["waitingRoom"] = new JsonObject { ["prequeueOpensAt"] = now.AddMinutes(1) };
                break;
            case "waiting room admits nobody a second":
                node["waitingRoom"] = new JsonObject { ["admitPerSecond"] = 0 };
                break;
            case "waiting room admits more than 10,000 a second":
                node["waitingRoom"] = new JsonObject { ["admitPerSecond"] = 10_001 };
                break;
            case "waiting room admits nobody at once":
                node["waitingRoom"] = new JsonObject { ["maxAdmitted"] = 0 };
                break;
            case "admission lasts more than 2 hours":
                node["waitingRoom"] = new JsonObject { ["admissionMinutes"] = 121 };
                break;
            case "proof of work asks more than 24 bits":
                node["waitingRoom"] = new JsonObject { ["proofOfWorkBits"] = 25 };
                break;
            case "proof of work asks negative bits":
                node["waitingRoom"] = new JsonObject { ["proofOfWorkBits"] = -1 };
                break;
            case "waiting room is not an object":
                node["waitingRoom"] = true;
                break;
            case "ticket limit is zero":
                node["ticketLimit"] = 0;
                break;
            case "ticket limit is negative":
                node["ticketLimit"] = -1;
                break;
            case "ticket limit is over 10":
                node["ticketLimit"] = 11;
                break;
            case "ticket limit is not an integer":
                node["ticketLimit"] = 2.5;
                break;
            case "ticket limit is text":
                node["ticketLimit"] = "four";
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(change), change, "No such case.");
        }

        using var response = await organizer.SendAsync(HttpMethod.Post, "/organizer/events", node.ToJsonString());

        AssertNames(await ExpectProblemAsync(response, HttpStatusCode.BadRequest), field);
        var events = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/organizer/events");
        Assert.Equal(0, events.GetArrayLength());
    }

    [Theory]
    [InlineData("""{"prequeueOpensAt": "2999-01-01T00:00:00Z"}""", "prequeueOpensAt")]
    [InlineData("""{"admitPerSecond": 0}""", "admitPerSecond")]
    [InlineData("""{"maxAdmitted": 1000001}""", "maxAdmitted")]
    [InlineData("""{"admissionMinutes": 0}""", "admissionMinutes")]
    [InlineData("""{"proofOfWorkBits": 25}""", "proofOfWorkBits")]
    [InlineData("""{"admitPerSecond": "fast"}""", "admitPerSecond")]
    public async Task A_hostile_waiting_room_body_gets_a_400_problem_naming_the_field_and_changes_nothing(string json, string field)
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        var id = await organizer.EventAsync(null, "publish");
        var before = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/organizer/events/{id}");

        using var response = await organizer.SendAsync(HttpMethod.Put, $"/organizer/events/{id}/waiting-room", json);

        AssertNames(await ExpectProblemAsync(response, HttpStatusCode.BadRequest), field);
        var after = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/organizer/events/{id}");
        Assert.Equal(before.GetProperty("version").GetInt32(), after.GetProperty("version").GetInt32());
        Assert.Equal(JsonValueKind.Null, after.GetProperty("waitingRoom").ValueKind);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("11")]
    [InlineData("2.5")]
    [InlineData("\"four\"")]
    [InlineData("true")]
    public async Task A_bad_ticket_limit_in_a_draft_edit_or_in_the_limits_own_body_gets_a_400_problem_naming_it_and_changes_nothing(string limit)
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        var (venue, id) = await DraftLimitedTo3Async(organizer);
        var before = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/organizer/events/{id}");
        var edit = JsonSerializer.SerializeToNode(Organizer.Event(venue, "Renamed"))!.AsObject();
        edit["ticketLimit"] = JsonNode.Parse(limit);

        using var edited = await organizer.SendAsync(HttpMethod.Put, $"/organizer/events/{id}", edit.ToJsonString());
        using var set = await organizer.SendAsync(HttpMethod.Put, $"/organizer/events/{id}/ticket-limit", $$"""{"ticketLimit": {{limit}}}""");

        AssertNames(await ExpectProblemAsync(edited, HttpStatusCode.BadRequest), "ticketLimit");
        AssertNames(await ExpectProblemAsync(set, HttpStatusCode.BadRequest), "ticketLimit");
        await AssertUnchangedAsync(organizer, before);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"ticketLimit": null}""")]
    public async Task A_ticket_limit_body_without_a_limit_gets_a_400_problem_naming_it_and_changes_nothing(string json)
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        var (_, id) = await DraftLimitedTo3Async(organizer);
        await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/organizer/events/{id}/publish");
        var before = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/organizer/events/{id}");

        using var response = await organizer.SendAsync(HttpMethod.Put, $"/organizer/events/{id}/ticket-limit", json);

        AssertNames(await ExpectProblemAsync(response, HttpStatusCode.BadRequest), "ticketLimit");
        await AssertUnchangedAsync(organizer, before);
    }

    [Fact]
    public async Task Sql_and_markup_in_names_are_stored_verbatim_and_returned_as_inert_json()
    {
        const string venueName = "Robert'); DROP TABLE venues;--";
        const string eventName = "<script>alert(1)</script> & \"quotes\"";
        using var organizer = await Organizer.NewAsync(boxoffice);
        var venueId = await organizer.CreateVenueAsync(Organizer.Venue(venueName));
        var eventId = await organizer.CreateEventAsync(venueId, eventName);

        var venue = await ReadInertJsonAsync(organizer, $"/organizer/venues/{venueId}");
        var detail = await ReadInertJsonAsync(organizer, $"/organizer/events/{eventId}");
        var venues = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/organizer/venues");

        Assert.Equal(venueName, venue.GetProperty("name").GetString());
        Assert.Equal(eventName, detail.GetProperty("name").GetString());
        Assert.Equal(venueName, detail.GetProperty("venue").GetProperty("name").GetString());
        var listed = Assert.Single(venues.EnumerateArray());
        Assert.Equal(venueId, listed.GetProperty("id").GetGuid());
        Assert.Equal(venueName, listed.GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_10_MB_venue_body_gets_a_413_problem_and_writes_nothing()
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        // The body goes only if the gateway asks for it, so the refusal arrives before 10 MB travel.
        organizer.Gateway.DefaultRequestHeaders.ExpectContinue = true;
        var body = new ByteArrayContent(new byte[10 * 1024 * 1024]);
        body.Headers.ContentType = new("application/json");

        using var response = await organizer.SendAsync(HttpMethod.Post, "/organizer/venues", body);

        await ExpectProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        organizer.Gateway.DefaultRequestHeaders.ExpectContinue = null;
        var venues = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/organizer/venues");
        Assert.Equal(0, venues.GetArrayLength());
    }

    [Fact]
    public async Task Unknown_properties_in_a_body_are_ignored_not_obeyed()
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        var forgedId = Guid.NewGuid();
        var node = JsonSerializer.SerializeToNode(Organizer.Venue())!.AsObject();
        node["isAdmin"] = true;
        node["id"] = forgedId;
        node["organizerId"] = "organizer-someone-else";

        var created = await organizer.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/organizer/venues", node.ToJsonString());
        var venues = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/organizer/venues");

        Assert.False(created.TryGetProperty("isAdmin", out _));
        Assert.NotEqual(forgedId, created.GetProperty("id").GetGuid());
        Assert.Equal(304, created.GetProperty("capacity").GetInt32());
        var listed = Assert.Single(venues.EnumerateArray());
        Assert.Equal(created.GetProperty("id").GetGuid(), listed.GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task Changing_an_event_that_does_not_exist_or_naming_one_by_a_malformed_id_gets_a_404_problem()
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        var venue = await organizer.CreateVenueAsync();

        using var missing = await organizer.SendAsync(HttpMethod.Put, $"/organizer/events/{Guid.NewGuid()}", Organizer.Event(venue));
        await ExpectProblemAsync(missing, HttpStatusCode.NotFound);
        using var malformed = await organizer.SendAsync(HttpMethod.Get, "/organizer/events/not-a-guid");
        await ExpectProblemAsync(malformed, HttpStatusCode.NotFound);

        var events = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/organizer/events");
        Assert.Equal(0, events.GetArrayLength());
    }

    [Fact]
    public async Task A_venue_sent_as_text_plain_gets_a_415_problem_and_writes_nothing()
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        var json = JsonSerializer.Serialize(Organizer.Venue());

        using var response = await organizer.SendAsync(HttpMethod.Post, "/organizer/venues", new StringContent(json, Encoding.UTF8, "text/plain"));

        await ExpectProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
        var venues = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/organizer/venues");
        Assert.Equal(0, venues.GetArrayLength());
    }

    /// <summary>The status, as problem+json that gives it too, and nothing of the server's insides.</summary>
    private static async Task<JsonElement> ExpectProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        AssertStatus(response, status, text);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("Exception", text);
        Assert.DoesNotContain("   at ", text);
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }

    private static void AssertStatus(HttpResponseMessage response, HttpStatusCode status, string text) =>
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");

    /// <summary>Some key of the problem's <c>errors</c> names <paramref name="field"/> (in any case: attribute checks camel-case it).</summary>
    private static void AssertNames(JsonElement problem, string field)
    {
        Assert.True(problem.TryGetProperty("errors", out var errors), $"The problem has no errors: {problem}");
        var keys = errors.EnumerateObject().Select(error => error.Name).ToList();
        Assert.Contains(keys, key => key.Contains(field, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>A new venue and a draft at it with a ticket limit of 3.</summary>
    private static async Task<(Guid Venue, Guid Event)> DraftLimitedTo3Async(Organizer organizer)
    {
        var venue = await organizer.CreateVenueAsync();
        var created = await organizer.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/organizer/events", Organizer.Event(venue, ticketLimit: 3));
        return (venue, created.GetProperty("id").GetGuid());
    }

    /// <summary>The event reads as it did <paramref name="before"/>: the same version (every change adds one), name and ticket limit.</summary>
    private static async Task AssertUnchangedAsync(Organizer organizer, JsonElement before)
    {
        var after = await organizer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/organizer/events/{before.GetProperty("id").GetGuid()}");
        Assert.Equal(before.GetProperty("version").GetInt32(), after.GetProperty("version").GetInt32());
        Assert.Equal(before.GetProperty("name").GetString(), after.GetProperty("name").GetString());
        Assert.Equal(before.GetProperty("ticketLimit").GetInt32(), after.GetProperty("ticketLimit").GetInt32());
    }

    /// <summary>A 200 answer that is JSON, which a browser will not sniff as HTML, with no markup in it left raw.</summary>
    private static async Task<JsonElement> ReadInertJsonAsync(Organizer organizer, string path)
    {
        using var response = await organizer.SendAsync(HttpMethod.Get, path);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        AssertStatus(response, HttpStatusCode.OK, text);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
        Assert.DoesNotContain("<script>", text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
