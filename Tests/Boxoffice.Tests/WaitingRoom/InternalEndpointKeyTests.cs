using System.Net;
using System.Text;
using Boxoffice.Contracts.WaitingRoom;

namespace Boxoffice.Tests.WaitingRoom;

/// <summary>
/// The waiting room's internal endpoints (every queue's snapshot, the buyers seen polling) answer
/// the gateway alone: called on the waiting room's own address, as anything inside the network
/// could, they need the internal key (checked by authorization, before a report's body is bound).
/// </summary>
[Collection<RunningApp>]
public sealed class InternalEndpointKeyTests(BoxofficeApp boxoffice)
{
    [Fact]
    public async Task Without_the_internal_key_the_queue_snapshots_and_the_seen_report_are_refused()
    {
        using var direct = new HttpClient { BaseAddress = boxoffice.App.GetEndpoint("waiting-room", "http") };
        var key = await boxoffice.ParameterAsync("waiting-room-internal-key");
        var seen = """{"events":{}}""";

        foreach (var presented in new string?[] { null, "", "not-the-key", key[..^1], key + "x", key.ToUpperInvariant() == key ? key.ToLowerInvariant() : key.ToUpperInvariant() })
        {
            using var list = new HttpRequestMessage(HttpMethod.Get, "/internal/queues");
            using var report = new HttpRequestMessage(HttpMethod.Post, "/internal/queues/seen") { Content = new StringContent(seen, Encoding.UTF8, "application/json") };
            if (presented is not null)
            {
                list.Headers.TryAddWithoutValidation(InternalKey.Header, presented);
                report.Headers.TryAddWithoutValidation(InternalKey.Header, presented);
            }

            using var listed = await direct.SendAsync(list, TestContext.Current.CancellationToken);
            using var reported = await direct.SendAsync(report, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Unauthorized, listed.StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, reported.StatusCode);
        }

        using var allowed = new HttpRequestMessage(HttpMethod.Get, "/internal/queues");
        allowed.Headers.Add(InternalKey.Header, key);
        using var answered = await direct.SendAsync(allowed, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
    }

    [Fact]
    public async Task The_key_is_checked_before_the_body_is_read()
    {
        using var direct = new HttpClient { BaseAddress = boxoffice.App.GetEndpoint("waiting-room", "http") };
        var key = await boxoffice.ParameterAsync("waiting-room-internal-key");

        async Task<HttpResponseMessage> ReportAsync(string? presented)
        {
            using var report = new HttpRequestMessage(HttpMethod.Post, "/internal/queues/seen") { Content = new StringContent("{\"events\": [not json", Encoding.UTF8, "application/json") };
            if (presented is not null)
            {
                report.Headers.TryAddWithoutValidation(InternalKey.Header, presented);
            }

            return await direct.SendAsync(report, TestContext.Current.CancellationToken);
        }

        // With the key the broken body is what is refused; without it, the body is never read.
        using var withKey = await ReportAsync(key);
        Assert.Equal(HttpStatusCode.BadRequest, withKey.StatusCode);
        Assert.Equal("application/problem+json", withKey.Content.Headers.ContentType?.MediaType);
        using var withoutKey = await ReportAsync(null);
        Assert.Equal(HttpStatusCode.Unauthorized, withoutKey.StatusCode);
        using var wrongKey = await ReportAsync(key[..^1]);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.StatusCode);
    }

    [Theory]
    [InlineData("""{"toldSoldOut":{}}""")]
    [InlineData("""{"events":{},"toldSoldOut":{"01a2446b-7ae3-7971-8762-d5672e479801":[""]}}""")]
    [InlineData("""{"events":{},"toldSoldOut":{"01a2446b-7ae3-7971-8762-d5672e479801":null}}""")]
    [InlineData("""{"events":{},"toldSoldOut":{"not-an-event":["buyer"]}}""")]
    [InlineData("""{"events":{},"toldSoldOut":["buyer"]}""")]
    [InlineData("""{"events":{"01a2446b-7ae3-7971-8762-d5672e479801":[1,2]}}""")]
    public async Task A_seen_report_that_names_its_buyers_wrongly_is_refused_with_a_problem(string body)
    {
        using var direct = new HttpClient { BaseAddress = boxoffice.App.GetEndpoint("waiting-room", "http") };
        using var report = new HttpRequestMessage(HttpMethod.Post, "/internal/queues/seen") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        report.Headers.Add(InternalKey.Header, await boxoffice.ParameterAsync("waiting-room-internal-key"));
        using var answered = await direct.SendAsync(report, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, answered.StatusCode);
        Assert.Equal("application/problem+json", answered.Content.Headers.ContentType?.MediaType);
    }
}
