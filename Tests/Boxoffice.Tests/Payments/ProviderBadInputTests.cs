using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Boxoffice.Tests.Payments;

/// <summary>
/// The payment provider stand-in, called directly: no key or a wrong one is a 401, malformed
/// requests are 400s, a key reused for another request is a 422, and the same key never charges
/// twice, however many requests carry it at once. Always problem+json, never a 500.
/// </summary>
[Collection<RunningApp>]
public sealed class ProviderBadInputTests(BoxofficeApp boxoffice)
{
    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    [InlineData("")]
    public async Task Every_endpoint_wants_the_api_key(string? key)
    {
        using var provider = await Provider.ConnectAsync(boxoffice, key ?? "unused");
        if (key is null)
        {
            provider.Http.DefaultRequestHeaders.Authorization = null;
        }

        foreach (var (method, path) in new[] { ("POST", "/charges"), ("GET", "/charges/x"), ("POST", "/refunds"), ("GET", "/admin/chaos"), ("PUT", "/admin/chaos"), ("GET", "/admin/stats") })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "GET" ? null : JsonContent.Create(new { }) };
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
            using var response = await provider.Http.SendAsync(request, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task Neither_key_opens_the_other_keys_routes()
    {
        using var provider = await Provider.ConnectAsync(boxoffice);
        var ct = TestContext.Current.CancellationToken;
        var chaos = await provider.Admin.GetStringAsync("/admin/chaos", ct);

        // The charging key, which Payments holds, cannot read the totals or turn on failures.
        foreach (var (method, path) in new[] { ("GET", "/admin/chaos"), ("PUT", "/admin/chaos"), ("GET", "/admin/stats"), ("GET", "/ADMIN/stats") })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "GET" ? null : JsonContent.Create(new { errorRate = 1 }) };
            using var response = await provider.Http.SendAsync(request, ct);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} with the API key: {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        // The admin key charges and refunds nothing.
        foreach (var (method, path) in new[] { ("POST", "/charges"), ("GET", "/charges"), ("GET", "/charges/x"), ("POST", "/refunds"), ("GET", "/refunds/x") })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path)
            {
                Content = method == "GET" ? null : JsonContent.Create(new { amount = 10, currency = "EUR", reference = "admin key", chargeKey = "x" }),
            };
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
            using var response = await provider.Admin.SendAsync(request, ct);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} with the admin key: {(int)response.StatusCode}");
        }

        Assert.Equal(chaos, await provider.Admin.GetStringAsync("/admin/chaos", ct));
        using var stats = await provider.Admin.GetAsync("/admin/stats", ct);
        Assert.Equal(HttpStatusCode.OK, stats.StatusCode);
    }

    public static TheoryData<string, string?, string> BadCharges => new()
    {
        { "no key", null, "{\"amount\": 10, \"currency\": \"EUR\", \"reference\": \"r\"}" },
        { "key too long", new string('k', 101), "{\"amount\": 10, \"currency\": \"EUR\", \"reference\": \"r\"}" },
        { "not json", "KEY", "{\"amount\": " },
        { "negative", "KEY", "{\"amount\": -5, \"currency\": \"EUR\", \"reference\": \"r\"}" },
        { "three decimals", "KEY", "{\"amount\": 1.005, \"currency\": \"EUR\", \"reference\": \"r\"}" },
        { "too much", "KEY", "{\"amount\": 1000000.01, \"currency\": \"EUR\", \"reference\": \"r\"}" },
        { "amount as text", "KEY", "{\"amount\": \"ten\", \"currency\": \"EUR\", \"reference\": \"r\"}" },
        { "bad currency", "KEY", "{\"amount\": 10, \"currency\": \"euro\", \"reference\": \"r\"}" },
        { "no reference", "KEY", "{\"amount\": 10, \"currency\": \"EUR\"}" },
        { "reference too long", "KEY", "{\"amount\": 10, \"currency\": \"EUR\", \"reference\": \"" + new string('r', 101) + "\"}" },
        { "control character", "KEY", "{\"amount\": 10, \"currency\": \"EUR\", \"reference\": \"a\\u0000b\"}" },
    };

    [Theory]
    [MemberData(nameof(BadCharges))]
    public async Task A_malformed_charge_is_a_400_and_charges_nothing(string why, string? key, string body)
    {
        using var provider = await Provider.ConnectAsync(boxoffice);
        var idempotencyKey = key == "KEY" ? Guid.NewGuid().ToString() : key;
        using var response = await PostAsync(provider, "/charges", body, idempotencyKey);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{why}: {(int)response.StatusCode}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        if (idempotencyKey is { Length: <= 100 })
        {
            Assert.Null(await provider.ChargeAsyncByKey(idempotencyKey));
        }
    }

    [Fact]
    public async Task One_key_charges_once_however_many_requests_carry_it_and_another_body_is_a_422()
    {
        using var provider = await Provider.ConnectAsync(boxoffice);
        var key = Guid.NewGuid().ToString();
        const string body = "{\"amount\": 12.50, \"currency\": \"EUR\", \"reference\": \"twice\"}";

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var response = await PostAsync(provider, "/charges", body, key);
            return response.StatusCode;
        }));
        // One made it (201); the others saw it in progress (409) or made (200).
        Assert.Equal(1, answers.Count(status => status == HttpStatusCode.Created));
        Assert.All(answers, status => Assert.Contains(status, new[] { HttpStatusCode.Created, HttpStatusCode.OK, HttpStatusCode.Conflict }));
        using (var again = await PostAsync(provider, "/charges", "{\"currency\": \"EUR\", \"reference\": \"twice\", \"amount\": 12.5}", key))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        using var other = await PostAsync(provider, "/charges", "{\"amount\": 99, \"currency\": \"EUR\", \"reference\": \"twice\"}", key);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        Assert.Contains("idempotency-key-reused", await other.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        var charge = await provider.ChargeAsyncByKey(key);
        Assert.Equal(12.50m, charge!.Value.GetProperty("amount").GetDecimal());
    }

    [Fact]
    public async Task A_retry_is_answered_as_its_charge_was_while_the_provider_fails_every_new_charge()
    {
        using var provider = await Provider.ConnectAsync(boxoffice);
        var (made, declined, refused) = (Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), Guid.NewGuid().ToString());
        const string body = "{\"amount\": 7.25, \"currency\": \"EUR\", \"reference\": \"retry\"}";
        await provider.CalmAsync();
        using (var first = await PostAsync(provider, "/charges", body, made))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }

        try
        {
            await provider.SetChaosAsync(new { declineRate = 1.0 });
            using (var first = await PostAsync(provider, "/charges", body, declined))
            {
                Assert.Equal(HttpStatusCode.PaymentRequired, first.StatusCode);
            }

            await provider.SetChaosAsync(new { errorRate = 1.0, declineRate = 0.0 });
            using (var retry = await PostAsync(provider, "/charges", body, made))
            {
                Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
                var charge = await retry.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
                Assert.Equal("succeeded", charge.GetProperty("status").GetString());
                Assert.Equal(made, charge.GetProperty("idempotencyKey").GetString());
            }

            using (var retry = await PostAsync(provider, "/charges", body, declined))
            {
                Assert.Equal(HttpStatusCode.PaymentRequired, retry.StatusCode);
            }

            using (var reused = await PostAsync(provider, "/charges", "{\"amount\": 8, \"currency\": \"EUR\", \"reference\": \"retry\"}", made))
            {
                Assert.Equal(HttpStatusCode.UnprocessableEntity, reused.StatusCode);
            }

            using (var failed = await PostAsync(provider, "/charges", body, refused))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
                Assert.Equal("application/problem+json", failed.Content.Headers.ContentType?.MediaType);
            }
        }
        finally
        {
            await provider.CalmAsync();
        }

        // Calm again, a retry conflicts on its key and is answered with the charge as it was.
        using (var retry = await PostAsync(provider, "/charges", body, declined))
        {
            Assert.Equal(HttpStatusCode.PaymentRequired, retry.StatusCode);
        }

        using (var retry = await PostAsync(provider, "/charges", body, made))
        {
            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        }

        Assert.Null(await provider.ChargeAsyncByKey(refused));
        Assert.Equal("declined", (await provider.ChargeAsyncByKey(declined))!.Value.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Refunds_refuse_unknown_charges_amounts_over_the_charge_and_reused_keys()
    {
        using var provider = await Provider.ConnectAsync(boxoffice);
        var chargeKey = Guid.NewGuid().ToString();
        using (var made = await PostAsync(provider, "/charges", "{\"amount\": 20, \"currency\": \"EUR\", \"reference\": \"refund me\"}", chargeKey))
        {
            Assert.Equal(HttpStatusCode.Created, made.StatusCode);
        }

        using (var unknown = await PostAsync(provider, "/refunds", JsonSerializer.Serialize(new { chargeKey = Guid.NewGuid().ToString() }), Guid.NewGuid().ToString()))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }

        using (var tooMuch = await PostAsync(provider, "/refunds", JsonSerializer.Serialize(new { chargeKey, amount = 20.01m }), Guid.NewGuid().ToString()))
        {
            Assert.Equal(HttpStatusCode.Conflict, tooMuch.StatusCode);
        }

        using (var noKey = await PostAsync(provider, "/refunds", JsonSerializer.Serialize(new { chargeKey }), null))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noKey.StatusCode);
        }

        var refundKey = Guid.NewGuid().ToString();
        using (var refunded = await PostAsync(provider, "/refunds", JsonSerializer.Serialize(new { chargeKey, amount = 5m }), refundKey))
        {
            Assert.Equal(HttpStatusCode.Created, refunded.StatusCode);
        }

        using (var reused = await PostAsync(provider, "/refunds", JsonSerializer.Serialize(new { chargeKey, amount = 6m }), refundKey))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, reused.StatusCode);
        }

        Assert.Equal(5m, (await provider.ChargeAsyncByKey(chargeKey))!.Value.GetProperty("refundedAmount").GetDecimal());
    }

    [Theory]
    [InlineData("{\"errorRate\": 1.5}")]
    [InlineData("{\"spikeMs\": -1}")]
    [InlineData("{\"timeoutMs\": 600000}")]
    [InlineData("{\"errorRate\": \"lots\"}")]
    [InlineData("[]")]
    public async Task Impossible_chaos_is_a_400_and_leaves_the_provider_as_it_was(string body)
    {
        using var provider = await Provider.ConnectAsync(boxoffice);
        var before = await provider.Admin.GetStringAsync("/admin/chaos", TestContext.Current.CancellationToken);
        using var response = await provider.Admin.PutAsync("/admin/chaos", new StringContent(body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await provider.Admin.GetStringAsync("/admin/chaos", TestContext.Current.CancellationToken));
    }

    private static async Task<HttpResponseMessage> PostAsync(Provider provider, string path, string body, string? idempotencyKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        return await provider.Http.SendAsync(request, TestContext.Current.CancellationToken);
    }
}
