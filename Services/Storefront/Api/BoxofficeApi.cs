using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Boxoffice.Contracts.WaitingRoom;
using Boxoffice.Storefront.Extensions;
using Boxoffice.Storefront.Session;
using Microsoft.Extensions.Options;

namespace Boxoffice.Storefront.Api;

/// <summary>
/// The APIs the pages are made of. Public reads (the bill, an event, its seat map, availability,
/// whether it has a waiting room) go straight to the services inside the environment: the gateway
/// already limited the browser's page request by the buyer's address, and going out through it again
/// would put every buyer in the storefront's one bucket. So does joining a queue, which the gateway
/// limits per address: it limits the browser's post of the join form instead (route
/// storefront-queue-join), and the join goes to the waiting room with the buyer's token, which the
/// waiting room checks itself. What else a buyer does (queue status, hold, order, read their orders)
/// goes through the gateway with the buyer's own access token, so its per-buyer limits, token
/// checks and admission checks apply as they do to any app.
/// </summary>
internal sealed class BoxofficeApi(IHttpClientFactory clients, IOptions<StorefrontOptions> options, ILogger<BoxofficeApi> logger)
{
    public const string Catalog = "catalog";
    public const string Booking = "booking";
    public const string WaitingRoom = "waiting-room";
    public const string Gateway = "gateway";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    public Task<ApiAnswer<EventListing>> ListEventsAsync(EventQuery query, int pageSize, CancellationToken cancellationToken)
    {
        var parameters = new List<string> { $"page={query.Page}", $"pageSize={pageSize}" };
        Add(parameters, "q", query.Text);
        Add(parameters, "city", query.City);
        // Whole days in UTC: from the start of the first to the start of the day after the last
        // (the catalog's `to` is exclusive).
        Add(parameters, "from", query.From is { } from ? Midnight(from) : null);
        Add(parameters, "to", query.To is { } to && to < DateOnly.MaxValue ? Midnight(to.AddDays(1)) : null);
        return SendAsync<EventListing>(Catalog, HttpMethod.Get, "/events?" + string.Join('&', parameters), null, cancellationToken);
    }

    public Task<ApiAnswer<EventDetail>> GetEventAsync(Guid id, CancellationToken cancellationToken) =>
        SendAsync<EventDetail>(Catalog, HttpMethod.Get, $"/events/{id}", null, cancellationToken);

    public Task<ApiAnswer<SeatMap>> GetSeatMapAsync(Guid id, CancellationToken cancellationToken) =>
        SendAsync<SeatMap>(Catalog, HttpMethod.Get, $"/events/{id}/seatmap", null, cancellationToken);

    public Task<ApiAnswer<EventAvailability>> GetAvailabilityAsync(Guid id, CancellationToken cancellationToken) =>
        SendAsync<EventAvailability>(Booking, HttpMethod.Get, $"/events/{id}/availability", null, cancellationToken);

    /// <summary>The event's waiting room; a 404 problem when the event sells without one.</summary>
    public Task<ApiAnswer<WaitingRoomInfo>> GetWaitingRoomAsync(Guid id, CancellationToken cancellationToken) =>
        SendAsync<WaitingRoomInfo>(WaitingRoom, HttpMethod.Get, $"/events/{id}", null, cancellationToken);

    public Task<ApiAnswer<QueueStatus>> JoinQueueAsync(Guid id, string token, object? proof, CancellationToken cancellationToken) =>
        SendAsync<QueueStatus>(WaitingRoom, HttpMethod.Post, $"/events/{id}/join", Buyer(token, proof), cancellationToken);

    public Task<ApiAnswer<Challenge>> GetChallengeAsync(Guid id, string token, CancellationToken cancellationToken) =>
        SendAsync<Challenge>(WaitingRoom, HttpMethod.Post, $"/events/{id}/challenge", Buyer(token), cancellationToken);

    public Task<ApiAnswer<QueueStatus>> GetQueueStatusAsync(Guid id, string token, string ticket, CancellationToken cancellationToken) =>
        SendAsync<QueueStatus>(Gateway, HttpMethod.Get, $"/api/waiting-room/events/{id}/status",
            Buyer(token, headers: [new(WaitingRoomTokens.TicketHeader, ticket)]), cancellationToken);

    /// <summary>The gateway's status stream for the buyer's place, unread: the caller relays it.</summary>
    public async Task<HttpResponseMessage> OpenQueueStreamAsync(Guid id, string token, string ticket, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, $"/api/waiting-room/events/{id}/status/stream", Buyer(token, headers: [new(WaitingRoomTokens.TicketHeader, ticket)]));
        return await clients.CreateClient(Gateway).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    public Task<ApiAnswer<HoldView>> HoldAsync(Guid eventId, HoldRequest hold, string token, string idempotencyKey, string? admission, CancellationToken cancellationToken) =>
        SendAsync<HoldView>(Gateway, HttpMethod.Post, $"/api/booking/events/{eventId}/holds", Buyer(token, hold, Keys(idempotencyKey, admission)), cancellationToken);

    public Task<ApiAnswer<HoldView>> GetHoldAsync(Guid holdId, string token, CancellationToken cancellationToken) =>
        SendAsync<HoldView>(Gateway, HttpMethod.Get, $"/api/booking/holds/{holdId}", Buyer(token), cancellationToken);

    public Task<ApiAnswer<OrderView>> PlaceOrderAsync(Guid holdId, string token, string idempotencyKey, string? admission, CancellationToken cancellationToken) =>
        SendAsync<OrderView>(Gateway, HttpMethod.Post, "/api/booking/orders", Buyer(token, new { holdId }, Keys(idempotencyKey, admission)), cancellationToken);

    public Task<ApiAnswer<OrderView>> GetOrderAsync(Guid orderId, string token, CancellationToken cancellationToken) =>
        SendAsync<OrderView>(Gateway, HttpMethod.Get, $"/api/booking/orders/{orderId}", Buyer(token), cancellationToken);

    /// <summary>A page of the buyer's orders after <paramref name="after"/>; one more is read only to tell whether another page follows.</summary>
    public async Task<ApiAnswer<Page<OrderView>>> ListOrdersAsync(string token, int pageSize, Guid? after, CancellationToken cancellationToken)
    {
        var answer = await SendAsync<List<OrderView>>(Gateway, HttpMethod.Get, $"/api/booking/orders?limit={pageSize + 1}" + (after is { } anchor ? $"&after={anchor}" : ""), Buyer(token), cancellationToken);
        return answer.Value is { } read ? new ApiAnswer<Page<OrderView>>(Page.From(read, pageSize), null) : answer.Problem!;
    }

    public Task<ApiAnswer<List<TicketView>>> GetOrderTicketsAsync(Guid orderId, string token, CancellationToken cancellationToken) =>
        SendAsync<List<TicketView>>(Gateway, HttpMethod.Get, $"/api/booking/orders/{orderId}/tickets", Buyer(token), cancellationToken);

    /// <summary>
    /// Creates a buyer's account at the identity server, directly (as sign-in does): the identity
    /// server's per-address registration limit counts the buyer's address, passed as the one hop it
    /// trusts, not the storefront's, which every buyer would share.
    /// </summary>
    public async Task<ApiAnswer<bool>> RegisterAsync(string email, string password, System.Net.IPAddress? buyerAddress, CancellationToken cancellationToken)
    {
        var headers = buyerAddress is null ? null : new List<KeyValuePair<string, string>> { new("X-Forwarded-For", buyerAddress.ToString()) };
        var answer = await SendAsync<JsonElement>(IdentityBackchannel.ClientName, HttpMethod.Post, options.Value.Url("/account/register"), new Call(Body: new { email, password }, Headers: headers), cancellationToken);
        return answer.Succeeded ? new ApiAnswer<bool>(true, null) : answer.Problem!;
    }

    public sealed record EventQuery(int Page, string? Text, string? City, DateOnly? From, DateOnly? To);

    private sealed record Call(string? Token = null, object? Body = null, IReadOnlyList<KeyValuePair<string, string>>? Headers = null);

    private static Call Buyer(string token, object? body = null, IReadOnlyList<KeyValuePair<string, string>>? headers = null) => new(token, body, headers);

    private static List<KeyValuePair<string, string>> Keys(string idempotencyKey, string? admission)
    {
        List<KeyValuePair<string, string>> headers = [new("Idempotency-Key", idempotencyKey)];
        if (admission is not null)
        {
            headers.Add(new(WaitingRoomTokens.AdmissionHeader, admission));
        }

        return headers;
    }

    private static string Midnight(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "T00:00:00Z";

    private static void Add(List<string> parameters, string name, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            parameters.Add($"{name}={Uri.EscapeDataString(value.Trim())}");
        }
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, Call? call)
    {
        var request = new HttpRequestMessage(method, path);
        if (call?.Token is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (call?.Body is { } body)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        }
        else if (method == HttpMethod.Post)
        {
            request.Content = JsonContent.Create(new { }, options: Json);
        }

        foreach (var (name, value) in call?.Headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return request;
    }

    private async Task<ApiAnswer<T>> SendAsync<T>(string client, HttpMethod method, string path, Call? call, CancellationToken cancellationToken)
    {
        try
        {
            using var request = Request(method, path, call);
            using var response = await clients.CreateClient(client).SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                // A success without a body (JSON null) is no answer either.
                return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken) is { } value
                    ? new ApiAnswer<T>(value, null, response.Headers.RetryAfter?.Delta)
                    : ApiProblem.Unavailable;
            }

            return await ProblemAsync(response, cancellationToken);
        }
        catch (Exception failure) when (failure is HttpRequestException or Polly.ExecutionRejectedException or TimeoutException or JsonException
            || failure is TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("The {Service} API did not answer {Method} {Path}: {Reason}", client, method, path.Split('?')[0], failure.GetType().Name);
            return ApiProblem.Unavailable;
        }
    }

    private static async Task<ApiProblem> ProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var retryAfter = response.Headers.RetryAfter?.Delta;
        JsonElement? body = null;
        if (response.Content.Headers.ContentType?.MediaType is "application/problem+json" or "application/json")
        {
            try
            {
                body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            }
            catch (JsonException)
            {
                // A problem without a readable body is still its status.
            }
        }

        string? Text(string name) => body is { ValueKind: JsonValueKind.Object } element && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        var status = (int)response.StatusCode;
        return new ApiProblem(status, Text("type"), Text("title") ?? ((HttpStatusCode)status).ToString(), Text("detail"), retryAfter, body);
    }
}
