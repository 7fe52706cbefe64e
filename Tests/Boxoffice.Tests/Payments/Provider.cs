using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Boxoffice.Tests.Payments;

/// <summary>The payment provider stand-in, called directly with its API key (it is not behind the gateway).</summary>
internal sealed class Provider : IDisposable
{
    private Provider(HttpClient http) => Http = http;

    public HttpClient Http { get; }

    public static async Task<Provider> ConnectAsync(BoxofficeApp boxoffice, string? apiKey = null)
    {
        var http = new HttpClient { BaseAddress = boxoffice.App.GetEndpoint("payment-provider", "http") };
        http.DefaultRequestHeaders.Authorization = new("Bearer", apiKey ?? await boxoffice.ParameterAsync("payment-provider-api-key"));
        return new Provider(http);
    }

    public async Task SetChaosAsync(object chaos)
    {
        using var response = await Http.PutAsJsonAsync("/admin/chaos", chaos, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public Task CalmAsync() => SetChaosAsync(new { errorRate = 0, timeoutRate = 0, timeoutMs = 0, spikeRate = 0, spikeMs = 0, latencyMs = 0, declineRate = 0 });

    /// <summary>The charge made for an order (its id is the key), or null.</summary>
    public Task<JsonElement?> ChargeAsync(Guid orderId) => ChargeAsyncByKey(orderId.ToString());

    /// <summary>The charge made with an idempotency key, or null.</summary>
    public async Task<JsonElement?> ChargeAsyncByKey(string key)
    {
        using var response = await Http.GetAsync($"/charges/{Uri.EscapeDataString(key)}", TestContext.Current.CancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.Clone();
    }

    public void Dispose() => Http.Dispose();
}
