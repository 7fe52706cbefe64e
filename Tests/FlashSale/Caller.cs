using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Boxoffice.FlashSale;

/// <summary>One answer as the crowd saw it; status 0 means no answer (a broken connection or a timeout).</summary>
internal sealed record Answer(int Status, string Body, TimeSpan? RetryAfter)
{
    public JsonElement Json => Body.Length == 0 ? default : JsonDocument.Parse(Body).RootElement;

    public bool Is(int status, string? problem = null) =>
        Status == status && (problem is null || Body.Contains($"/problems/{problem}\"", StringComparison.Ordinal));

    /// <summary>Worth sending again as it was: nothing came back, the server failed, or it said to wait.</summary>
    public bool Retryable => Status is 0 or 429 or >= 500;
}

/// <summary>Sends the crowd's requests through the gateway and records every answer in <see cref="Stats"/>.</summary>
internal sealed class Caller(HttpClient http, Stats stats)
{
    /// <summary>
    /// How long an app keeps sending one click again while nothing or a 5xx comes back: past the
    /// longest outage the harness causes (PostgreSQL down 60 s), as a buyer's app that shows
    /// "trying again" rather than an error would.
    /// </summary>
    public static readonly TimeSpan ClickPatience = TimeSpan.FromMinutes(2);

    public Stats Stats => stats;

    /// <param name="headers">Extra request headers, such as the queue ticket or the admission.</param>
    public async Task<Answer> SendAsync(string endpoint, HttpMethod method, string path, string? token, object? body = null,
        string? idempotencyKey = null, bool hostile = false, string? rawBody = null, string contentType = "application/json",
        IReadOnlyList<KeyValuePair<string, string>>? headers = null, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (rawBody is not null || body is not null)
        {
            request.Content = new StringContent(rawBody ?? JsonSerializer.Serialize(body, JsonSerializerOptions.Web), Encoding.UTF8, contentType);
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            var status = (int)response.StatusCode;
            stats.Record(endpoint, hostile, status, Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                response.Headers.TryGetValues("X-Request-Id", out var ids) ? ids.FirstOrDefault() : null);
            return new Answer(status, text, response.Headers.RetryAfter?.Delta);
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException
            || (exception is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            stats.Record(endpoint, hostile, 0, Stopwatch.GetElapsedTime(started).TotalMilliseconds, null);
            return new Answer(0, "", null);
        }
    }

    /// <summary>
    /// One click, as a buyer's app sends it: again with the same Idempotency-Key (when
    /// <paramref name="key"/>) while no answer or a 5xx comes back (backing off to 4 s), after
    /// Retry-After on a 429 or a 503, for up to <see cref="ClickPatience"/>.
    /// </summary>
    public async Task<Answer> ClickAsync(string endpoint, HttpMethod method, string path, string? token, object? body, Random random, CancellationToken cancellationToken,
        bool key = true, IReadOnlyList<KeyValuePair<string, string>>? headers = null)
    {
        var idempotencyKey = key ? Guid.NewGuid().ToString() : null;
        var clicked = Stopwatch.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            var answer = await SendAsync(endpoint, method, path, token, body, idempotencyKey, headers: headers, cancellationToken: cancellationToken);
            if (!answer.Retryable || Stopwatch.GetElapsedTime(clicked) > ClickPatience)
            {
                return answer;
            }

            var backoff = answer.RetryAfter ?? TimeSpan.FromMilliseconds(Math.Min(4000, 100 * (1 << Math.Min(attempt, 6))));
            await Task.Delay(backoff + TimeSpan.FromMilliseconds(250 * random.NextDouble()), cancellationToken);
        }
    }

    /// <summary>One header, for <see cref="SendAsync"/> and <see cref="ClickAsync"/>; none when <paramref name="value"/> is null.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>>? Header(string name, string? value) =>
        value is null ? null : [KeyValuePair.Create(name, value)];
}
