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
}
