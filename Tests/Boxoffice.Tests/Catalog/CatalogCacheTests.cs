using System.Net;
using Boxoffice.Contracts;
using Confluent.Kafka;
using Npgsql;

namespace Boxoffice.Tests.Catalog;

/// <summary>
/// The read path under a flash-sale crowd: a burst of first requests for a cold event costs the
/// database one query, counted by PostgreSQL itself (pg_stat_statements), across both replicas.
/// </summary>
[Collection<RunningApp>]
public sealed class CatalogCacheTests(BoxofficeApp boxoffice)
{
    private const int Burst = 1_000;

    [Fact]
    public async Task A_thousand_concurrent_first_requests_for_a_cold_event_cost_one_database_query()
    {
        using var organizer = await Organizer.NewAsync(boxoffice);
        var id = await organizer.EventAsync(null, "publish");
        await PublicationSeenAsync(id);
        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("catalogdb"));
        var before = await DetailQueriesAsync(db);

        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = Burst };
        using var gateway = new HttpClient(handler) { BaseAddress = boxoffice.App.GetEndpoint("gateway", "http"), Timeout = TimeSpan.FromMinutes(2) };
        using var start = new SemaphoreSlim(0);
        var requests = Enumerable.Range(0, Burst).Select(async _ =>
        {
            await start.WaitAsync(TestContext.Current.CancellationToken);
            using var response = await gateway.GetAsync($"/api/catalog/events/{id}", TestContext.Current.CancellationToken);
            return (response.StatusCode, ETag: response.Headers.ETag?.Tag);
        }).ToList();
        start.Release(Burst);
        var answers = await Task.WhenAll(requests);

        var after = await DetailQueriesAsync(db);
        var statuses = string.Join(", ", answers.GroupBy(answer => answer.StatusCode).Select(group => $"{(int)group.Key} x{group.Count()}"));
        Assert.True(answers.All(answer => answer.StatusCode == HttpStatusCode.OK), $"Answers: {statuses}");
        Assert.Single(answers.Select(answer => answer.ETag).Distinct());
        Assert.Equal(1, after - before);
    }

    /// <summary>
    /// Every replica drops what it cached about an event when the event's news reaches it through
    /// Kafka. Wait until the publication is on the topic and the replicas' consumers (polling every
    /// 250 ms) have had it, so its invalidation does not land in the middle of the burst.
    /// </summary>
    private async Task PublicationSeenAsync(Guid id)
    {
        using var consumer = await CatalogEvents.SubscribeAsync(boxoffice);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (consumer.Consume(TimeSpan.FromMilliseconds(200))?.Message?.Key != id.ToString())
        {
            Assert.True(DateTime.UtcNow < deadline, "The event's publication never reached Kafka.");
        }

        consumer.Close();
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
    }

    /// <summary>How often the catalog ran its event-detail query, as PostgreSQL counted it.</summary>
    private static Task<long> DetailQueriesAsync(NpgsqlDataSource db) =>
        StatementCalls.CountAsync(db, "%FROM events e JOIN venues v ON v.id = e.venue_id%WHERE e.id = $1%");
}
