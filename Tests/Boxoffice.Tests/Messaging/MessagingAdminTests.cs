using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Boxoffice.Contracts;
using Boxoffice.Tests.Booking;
using Boxoffice.Tests.Edge;
using Npgsql;

namespace Boxoffice.Tests.Messaging;

/// <summary>
/// Operators see what messaging could not deliver and put it back: dead letters of the topics a
/// service consumes, and outbox rows the broker refused (parked), each listed and replayed
/// through the gateway with the <c>boxoffice-operator</c> client's token. Nobody else may.
/// </summary>
[Collection<RunningApp>]
public sealed class MessagingAdminTests(BoxofficeApp boxoffice)
{
    private const string Admin = "/api/booking/admin/messaging";

    [Fact]
    public async Task A_poison_message_is_listed_with_its_reason_and_a_replay_sends_it_back_to_its_consumer()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var operations = await Operator.SignInAsync(boxoffice);
        var key = $"admin-{Guid.NewGuid():N}";
        var id = Guid.CreateVersion7();
        // A payment result booking routes, but whose data is no PaymentSucceeded: poison at once.
        var poison = Encoding.UTF8.GetBytes(
            $$"""{"specversion":"1.0","id":"{{id}}","source":"{{EventSources.Payments}}","type":"boxoffice.payments.payment-succeeded","datacontenttype":"application/json","data":"not a payment"}""");
        using (var test = new KafkaTestPublisher(await boxoffice.ConnectionStringAsync("kafka")))
        {
            await test.Publisher.PublishAsync(Topics.Payments, key, poison, cancellationToken: cancellationToken);
        }

        var listed = await operations.DeadLetterAsync(Topics.Payments, record => record.GetProperty("key").GetString() == key);
        Assert.Contains("JsonException", listed.GetProperty("reason").GetString());
        Assert.Equal("booking-payments", listed.GetProperty("group").GetString());
        Assert.Equal("boxoffice.payments.payment-succeeded", listed.GetProperty("type").GetString());
        Assert.Equal(id, listed.GetProperty("id").GetGuid());
        Assert.StartsWith(Topics.Payments + "/", listed.GetProperty("source").GetString());
        var (partition, offset) = (listed.GetProperty("partition").GetInt32(), listed.GetProperty("offset").GetInt64());

        var replayed = await operations.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"{Admin}/dead-letters/{Topics.Payments}/{partition}/{offset}/replay");

        Assert.Equal(Topics.Payments, replayed.GetProperty("topic").GetString());
        Assert.Equal($"{Topics.DeadLetter(Topics.Payments)}/{partition}/{offset}", replayed.GetProperty("from").GetString());
        // Booking's consumer read the copy from the main topic: still poison, it is dead-lettered
        // again, now naming the copy's place as its source.
        var copy = $"{Topics.Payments}/{replayed.GetProperty("partition").GetInt32()}/{replayed.GetProperty("offset").GetInt64()}";
        var again = await operations.DeadLetterAsync(Topics.Payments, record => record.GetProperty("source").GetString() == copy);
        Assert.Equal(key, again.GetProperty("key").GetString());
        Assert.Equal(id, again.GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task A_parked_outbox_row_is_listed_and_a_replay_hands_it_to_the_relay_once()
    {
        using var operations = await Operator.MintAsync(boxoffice);
        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("bookingdb"));
        var messageId = Guid.CreateVersion7();
        // An event nobody routes (Payments skips unknown types), set aside as the relay would.
        var payload = Encoding.UTF8.GetBytes($$"""{"data":{},"specversion":"1.0","id":"{{messageId}}","source":"{{EventSources.Booking}}","type":"boxoffice.tests.parked"}""");
        var id = (long)(await BookingInvariantTests.ScalarAsync(db,
            """
            INSERT INTO outbox (message_id, topic, key, type, payload, failed_at, last_error)
            VALUES ($1, $2, $3, 'boxoffice.tests.parked', $4, now(), 'Broker: Message size too large') RETURNING id
            """, messageId, Topics.BookingOrders, messageId.ToString(), payload))!;

        var parked = await operations.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"{Admin}/parked?limit=1000");
        var row = parked.GetProperty("rows").EnumerateArray().Single(one => one.GetProperty("id").GetInt64() == id);
        Assert.Equal(messageId, row.GetProperty("messageId").GetGuid());
        Assert.Equal(Topics.BookingOrders, row.GetProperty("topic").GetString());
        Assert.Equal("Broker: Message size too large", row.GetProperty("lastError").GetString());
        Assert.True(parked.GetProperty("total").GetInt64() >= 1);

        var replayed = await operations.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"{Admin}/parked/{id}/replay");
        Assert.Equal(messageId, replayed.GetProperty("messageId").GetGuid());

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await BookingInvariantTests.ScalarAsync(db, "SELECT published_at IS NOT NULL FROM outbox WHERE id = $1", id) is not true)
        {
            Assert.True(DateTime.UtcNow < deadline, $"The relay did not publish the released outbox row {id} within 30 s.");
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }

        Assert.Equal(DBNull.Value, await BookingInvariantTests.ScalarAsync(db, "SELECT failed_at FROM outbox WHERE id = $1", id));
        var published = await operations.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Post, $"{Admin}/parked/{id}/replay");
        Assert.Equal("https://boxoffice.dev/problems/not-parked", published.GetProperty("type").GetString());
        Assert.Equal("published", published.GetProperty("outboxStatus").GetString());
        var list = await operations.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"{Admin}/parked?limit=1000");
        Assert.DoesNotContain(list.GetProperty("rows").EnumerateArray(), one => one.GetProperty("id").GetInt64() == id);
    }

    [Fact]
    public async Task Each_service_shows_the_dead_letters_of_the_topics_it_consumes_and_no_others()
    {
        using var operations = await Operator.MintAsync(boxoffice);

        var catalog = await operations.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/api/catalog/admin/messaging/dead-letters?topic={Topics.CatalogEvents}&limit=1");
        var booking = await operations.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"{Admin}/dead-letters?topic={Topics.CatalogEvents}&limit=1");

        Assert.Equal(Topics.DeadLetter(Topics.CatalogEvents), catalog.GetProperty("deadLetterTopic").GetString());
        Assert.Equal(Topics.DeadLetter(Topics.CatalogEvents), booking.GetProperty("deadLetterTopic").GetString());
        Assert.True(booking.GetProperty("records").GetArrayLength() <= 1);
        await operations.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/api/catalog/admin/messaging/dead-letters?topic={Topics.Payments}");
        await operations.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"{Admin}/dead-letters?topic={Topics.BookingOrders}");

        // Payments: the orders it charges and refunds, and its own parked results.
        var payments = await operations.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/api/payments/admin/messaging/dead-letters?topic={Topics.BookingOrders}&limit=5");
        Assert.Equal(Topics.DeadLetter(Topics.BookingOrders), payments.GetProperty("deadLetterTopic").GetString());
        await operations.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/api/payments/admin/messaging/parked");
        await operations.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/api/payments/admin/messaging/dead-letters?topic={Topics.Payments}");
    }

    [Theory]
    [InlineData("GET", "/api/booking/admin/messaging/dead-letters?topic=payments")]
    [InlineData("POST", "/api/booking/admin/messaging/dead-letters/payments/0/0/replay")]
    [InlineData("GET", "/api/booking/admin/messaging/parked")]
    [InlineData("POST", "/api/booking/admin/messaging/parked/1/replay")]
    [InlineData("GET", "/api/catalog/admin/messaging/dead-letters?topic=catalog.events")]
    [InlineData("GET", "/api/catalog/admin/messaging/parked")]
    public async Task Only_an_operator_may_list_or_replay(string method, string path)
    {
        using var anonymous = boxoffice.CreateGatewayClient();
        using (var response = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        using var buyer = await Operator.MintAsync(boxoffice, "booking", "buyer");
        using var staff = await Operator.MintAsync(boxoffice, "checkin", "staff");
        using var organizer = await Operator.MintAsync(boxoffice, "catalog.read catalog.write webhooks", "organizer");
        // The right scope without the role, or the role without the scope, is not enough either.
        using var scopeOnly = await Operator.MintAsync(boxoffice, "operations", "buyer");
        using var roleOnly = await Operator.MintAsync(boxoffice, "booking", "operator");
        foreach (var caller in new[] { buyer, staff, organizer, scopeOnly, roleOnly })
        {
            using var response = await caller.SendAsync(new HttpMethod(method), path);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
    }

    [Fact]
    public async Task The_organizers_back_office_cannot_get_an_operations_token()
    {
        using var gateway = boxoffice.CreateGatewayClient();
        using var response = await gateway.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = Tokens.BackofficeClient,
            ["client_secret"] = await boxoffice.ParameterAsync("backoffice-client-secret"),
            ["scope"] = "operations",
        }), TestContext.Current.CancellationToken);

        // The organizer's back office may not ask for the scope at all (or gets a token without it).
        if (response.StatusCode == HttpStatusCode.OK)
        {
            var token = (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("access_token").GetString()!;
            Assert.DoesNotContain("operations", Tokens.Scopes(token));
        }
        else
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
    }

    [Theory]
    [InlineData("GET", "/dead-letters", HttpStatusCode.BadRequest)]
    [InlineData("GET", "/dead-letters?topic=", HttpStatusCode.BadRequest)]
    [InlineData("GET", "/dead-letters?topic=booking.orders", HttpStatusCode.NotFound)]
    [InlineData("GET", "/dead-letters?topic=payments.dlq", HttpStatusCode.NotFound)]
    [InlineData("GET", "/dead-letters?topic=..%2F..%2Fetc%2Fpasswd", HttpStatusCode.NotFound)]
    [InlineData("GET", "/dead-letters?topic=%00", HttpStatusCode.NotFound)]
    [InlineData("GET", "/dead-letters?topic=payments&limit=0", HttpStatusCode.BadRequest)]
    [InlineData("GET", "/dead-letters?topic=payments&limit=-5", HttpStatusCode.BadRequest)]
    [InlineData("GET", "/dead-letters?topic=payments&limit=501", HttpStatusCode.BadRequest)]
    [InlineData("GET", "/dead-letters?topic=payments&limit=2147483647", HttpStatusCode.BadRequest)]
    [InlineData("GET", "/dead-letters?topic=payments&limit=99999999999999999999", HttpStatusCode.BadRequest)]
    [InlineData("GET", "/dead-letters?topic=payments&limit=ten", HttpStatusCode.BadRequest)]
    [InlineData("GET", "/parked?limit=0", HttpStatusCode.BadRequest)]
    [InlineData("GET", "/parked?limit=1001", HttpStatusCode.BadRequest)]
    [InlineData("POST", "/dead-letters/payments/4096/0/replay", HttpStatusCode.NotFound)]
    [InlineData("POST", "/dead-letters/payments/0/9223372036854775807/replay", HttpStatusCode.NotFound)]
    [InlineData("POST", "/dead-letters/payments/0/99999999999999999999/replay", HttpStatusCode.NotFound)]
    [InlineData("POST", "/dead-letters/payments/-1/0/replay", HttpStatusCode.NotFound)]
    [InlineData("POST", "/dead-letters/payments/0/-1/replay", HttpStatusCode.NotFound)]
    [InlineData("POST", "/dead-letters/payments/zero/0/replay", HttpStatusCode.NotFound)]
    [InlineData("POST", "/dead-letters/booking.orders/0/0/replay", HttpStatusCode.NotFound)]
    [InlineData("POST", "/dead-letters/payments.dlq/0/0/replay", HttpStatusCode.NotFound)]
    [InlineData("POST", "/parked/0/replay", HttpStatusCode.NotFound)]
    [InlineData("POST", "/parked/-1/replay", HttpStatusCode.NotFound)]
    [InlineData("POST", "/parked/abc/replay", HttpStatusCode.NotFound)]
    [InlineData("POST", "/parked/9223372036854775807/replay", HttpStatusCode.NotFound)]
    public async Task Hostile_input_gets_a_problem_and_changes_nothing(string method, string path, HttpStatusCode expected)
    {
        using var operations = await Operator.MintAsync(boxoffice);

        await operations.ExpectAsync(expected, new HttpMethod(method), Admin + path);
    }

    /// <summary>A caller of the operators' endpoints through the gateway, with a token of its own.</summary>
    private sealed class Operator : IDisposable
    {
        private readonly string _token;

        private Operator(BoxofficeApp boxoffice, string token)
        {
            _token = token;
            Gateway = boxoffice.CreateGatewayClient();
        }

        private HttpClient Gateway { get; }

        /// <summary>The seeded operators' client, signed in with client credentials and its generated secret.</summary>
        public static async Task<Operator> SignInAsync(BoxofficeApp boxoffice)
        {
            using var gateway = boxoffice.CreateGatewayClient();
            using var response = await gateway.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["client_id"] = "boxoffice-operator",
                ["client_secret"] = await boxoffice.ParameterAsync("operator-client-secret"),
                ["scope"] = "operations",
            }), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var token = (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("access_token").GetString()!;
            Assert.Contains("operations", Tokens.Scopes(token));
            return new Operator(boxoffice, token);
        }

        // Read once per run: every case of a theory must not open connections to identitydb again.
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<BoxofficeApp, Task<(Microsoft.IdentityModel.Tokens.SecurityKey Key, string Issuer)>> Signing = new();

        /// <summary>A token signed with the identity server's key for a fresh subject (a rate-limit bucket of its own).</summary>
        public static async Task<Operator> MintAsync(BoxofficeApp boxoffice, string scope = "operations", string role = "operator")
        {
            var (key, issuer) = await Signing.GetValue(boxoffice, static app => LoadAsync(app));
            return new Operator(boxoffice, Tokens.Mint(key, issuer, $"{role}-{Guid.NewGuid():N}", scope, [role]));

            static async Task<(Microsoft.IdentityModel.Tokens.SecurityKey, string)> LoadAsync(BoxofficeApp app) =>
                (await Tokens.SigningKeyAsync(app), await Tokens.IssuerAsync(app));
        }

        /// <summary>Sends the request; a 429 (the caller's bucket is shared by its polls) is waited out as a client would.</summary>
        public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path)
        {
            for (var attempt = 1; ; attempt++)
            {
                using var request = new HttpRequestMessage(method, path);
                request.Headers.Authorization = new("Bearer", _token);
                var response = await Gateway.SendAsync(request, TestContext.Current.CancellationToken);
                if (response.StatusCode != HttpStatusCode.TooManyRequests || attempt == 10)
                {
                    return response;
                }

                var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                response.Dispose();
                await Task.Delay(wait, TestContext.Current.CancellationToken);
            }
        }

        public async Task<JsonElement> ExpectAsync(HttpStatusCode status, HttpMethod method, string path)
        {
            using var response = await SendAsync(method, path);
            var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.True(response.StatusCode == status, $"{method} {path}: expected {(int)status}, got {(int)response.StatusCode}: {text}");
            if (status >= HttpStatusCode.BadRequest)
            {
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }

            return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        }

        /// <summary>Lists the topic's dead letters until one matches (dead-lettering takes a moment); fails after 60 s.</summary>
        public async Task<JsonElement> DeadLetterAsync(string topic, Func<JsonElement, bool> match)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                var list = await ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"{Admin}/dead-letters?topic={topic}&limit=500");
                if (list.GetProperty("records").EnumerateArray().Where(match).Select(record => (JsonElement?)record).FirstOrDefault() is { } found)
                {
                    return found;
                }

                Assert.True(DateTime.UtcNow < deadline, $"No matching dead letter of {topic} was listed within 60 s: {list}");
                await Task.Delay(1_000, TestContext.Current.CancellationToken);
            }
        }

        public void Dispose() => Gateway.Dispose();
    }
}
