using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Polly.CircuitBreaker;

namespace Boxoffice.Payments.Provider;

/// <summary>
/// A charge as the provider tells it. Nothing here is taken on trust: <see cref="ChargeEcho"/>
/// checks it is the charge that was asked for before Payments acts on it.
/// </summary>
internal sealed record ProviderCharge(
    string Id,
    string IdempotencyKey,
    string Reference,
    decimal Amount,
    string Currency,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? CompletedAt,
    decimal RefundedAmount);

/// <summary>One page of <c>GET /charges</c>; more follow the last one when <see cref="HasMore"/>.</summary>
internal sealed record ProviderChargePage(IReadOnlyList<ProviderCharge> Data, bool HasMore);

internal sealed record ProviderRefund(string Id, string IdempotencyKey, decimal Amount);

/// <summary>What a charge attempt came to.</summary>
internal enum ChargeOutcome
{
    Succeeded,
    Declined,

    /// <summary>The provider is still working on an earlier request with this key: ask again later.</summary>
    InProgress,
}

/// <summary>The provider could not be reached or answered with an error: nothing is known to have happened.</summary>
internal sealed class ProviderUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The payment provider's API as Payments uses it. Every state-changing call carries an
/// idempotency key (the order id for a charge), which is what makes the resilience pipeline's
/// retries safe: the provider answers a repeated key with the first result instead of acting
/// again. Errors that say nothing about the outcome become <see cref="ProviderUnavailableException"/>.
/// </summary>
internal sealed class ProviderClient(HttpClient http)
{
    public const string IdempotencyHeader = "Idempotency-Key";

    public async Task<(ChargeOutcome Outcome, ProviderCharge? Charge)> ChargeAsync(Guid orderId, decimal amount, string currency, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "charges")
        {
            Content = JsonContent.Create(new { amount, currency, reference = orderId.ToString() }),
        };
        request.Headers.Add(IdempotencyHeader, orderId.ToString());
        using var response = await SendAsync("charge", request, cancellationToken);
        return response.StatusCode switch
        {
            HttpStatusCode.OK or HttpStatusCode.Created => (ChargeOutcome.Succeeded, await ReadAsync<ProviderCharge>(response, cancellationToken)),
            HttpStatusCode.PaymentRequired => (ChargeOutcome.Declined, await ReadAsync<ProviderCharge>(response, cancellationToken)),
            HttpStatusCode.Conflict => (ChargeOutcome.InProgress, null),
            _ => throw Unexpected(response),
        };
    }

    /// <summary>The charge made with <paramref name="orderId"/> as its key, or null when there is none.</summary>
    public async Task<ProviderCharge?> FindChargeAsync(Guid orderId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"charges/{orderId}");
        using var response = await SendAsync("lookup", request, cancellationToken);
        return response.StatusCode switch
        {
            HttpStatusCode.OK => await ReadAsync<ProviderCharge>(response, cancellationToken),
            HttpStatusCode.NotFound => null,
            _ => throw Unexpected(response),
        };
    }

    /// <summary>
    /// The charges created in [<paramref name="createdFrom"/>, <paramref name="createdBefore"/>), in
    /// creation order, after the charge <paramref name="startingAfter"/>: at most <paramref name="limit"/>.
    /// </summary>
    public async Task<ProviderChargePage> ListChargesAsync(
        DateTimeOffset createdFrom, DateTimeOffset createdBefore, string? startingAfter, int limit, CancellationToken cancellationToken)
    {
        var query = $"charges?createdFrom={Time(createdFrom)}&createdBefore={Time(createdBefore)}&limit={limit.ToString(CultureInfo.InvariantCulture)}"
            + (startingAfter is null ? "" : $"&startingAfter={Uri.EscapeDataString(startingAfter)}");
        using var request = new HttpRequestMessage(HttpMethod.Get, query);
        using var response = await SendAsync("list", request, cancellationToken);
        var page = response.StatusCode == HttpStatusCode.OK ? await ReadAsync<ProviderChargePage>(response, cancellationToken) : throw Unexpected(response);
        return page.Data is null
            ? throw new ProviderUnavailableException("The payment provider answered a list of charges without its data.")
            : page;

        static string Time(DateTimeOffset time) => Uri.EscapeDataString(time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
    }

    public async Task<ProviderRefund> RefundAsync(Guid orderId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "refunds")
        {
            Content = JsonContent.Create(new { chargeKey = orderId.ToString() }),
        };
        request.Headers.Add(IdempotencyHeader, $"refund-{orderId}");
        using var response = await SendAsync("refund", request, cancellationToken);
        return response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created
            ? await ReadAsync<ProviderRefund>(response, cancellationToken)
            : throw Unexpected(response);
    }

    /// <summary>One call as Payments waits for it (retries and the breaker included), timed as <paramref name="operation"/>.</summary>
    private async Task<HttpResponseMessage> SendAsync(string operation, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = "error";
        try
        {
            var response = await http.SendAsync(request, cancellationToken);
            outcome = (int)response.StatusCode >= 500 ? "error" : "ok";
            return response;
        }
        catch (Exception exception) when (exception is HttpRequestException or Polly.Timeout.TimeoutRejectedException
            || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new ProviderUnavailableException($"The payment provider did not answer: {exception.GetType().Name}.", exception);
        }
        catch (BrokenCircuitException)
        {
            // Refused here without a call: not the provider's time.
            outcome = "circuit-open";
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            outcome = "cancelled";
            throw;
        }
        finally
        {
            PaymentsMetrics.ProviderCall(operation, outcome, Stopwatch.GetElapsedTime(started));
        }
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(JsonSerializerOptions.Web, cancellationToken)
                ?? throw new ProviderUnavailableException("The payment provider answered with an empty body.");
        }
        catch (JsonException exception)
        {
            // Not the message's fault: a garbled answer is retried like no answer.
            throw new ProviderUnavailableException("The payment provider's answer could not be read.", exception);
        }
    }

    private static ProviderUnavailableException Unexpected(HttpResponseMessage response) =>
        new($"The payment provider answered {(int)response.StatusCode} {response.ReasonPhrase}.");
}
