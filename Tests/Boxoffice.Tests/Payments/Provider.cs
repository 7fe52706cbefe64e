using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Boxoffice.Tests.Payments;

/// <summary>
/// The payment provider stand-in, called directly (it is not behind the gateway): <see cref="Http"/>
/// with its API key, as Payments calls it, and <see cref="Admin"/> with its admin key, for <c>/admin/...</c>.
/// </summary>
internal sealed class Provider : IDisposable
{
    private Provider(HttpClient http, HttpClient admin) => (Http, Admin) = (http, admin);

    public HttpClient Http { get; }

    public HttpClient Admin { get; }

    public static async Task<Provider> ConnectAsync(BoxofficeApp boxoffice, string? apiKey = null)
    {
        var address = boxoffice.App.GetEndpoint("payment-provider", "http");
        var http = new HttpClient { BaseAddress = address };
        http.DefaultRequestHeaders.Authorization = new("Bearer", apiKey ?? await boxoffice.ParameterAsync("payment-provider-api-key"));
        var admin = new HttpClient { BaseAddress = address };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", await boxoffice.ParameterAsync("payment-provider-admin-key"));
        return new Provider(http, admin);
    }

    public async Task SetChaosAsync(object chaos)
    {
        using var response = await Admin.PutAsJsonAsync("/admin/chaos", chaos, TestContext.Current.CancellationToken);
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

    public void Dispose()
    {
        Http.Dispose();
        Admin.Dispose();
    }
}
