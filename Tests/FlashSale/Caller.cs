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
    public async Task<Answer> SendAsync(string endpoint, HttpMethod method, string path, string? token, object? body = null,
        string? idempotencyKey = null, bool hostile = false, string? rawBody = null, string contentType = "application/json", CancellationToken cancellationToken = default)
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
}
