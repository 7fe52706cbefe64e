using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Npgsql;

namespace Boxoffice.Tests.Booking;

/// <summary>
/// The invariants of DESIGN.md under a crowd, through the gateway, against two booking replicas:
/// never more sold than there is, no unit in two orders, every buyer answered, never a 500.
/// </summary>
[Collection<RunningApp>]
public sealed class BookingInvariantTests(BoxofficeApp boxoffice)
{
    [Fact]
    public async Task Five_hundred_buyers_racing_for_a_hundred_places_buy_exactly_a_hundred()
    {
        const int buyers = 500;
        const int places = 100;
        var sale = await Sale.OpenAsync(boxoffice, standingPlaces: places);
        var crowd = await Task.WhenAll(Enumerable.Range(0, buyers).Select(_ => Buyer.NewAsync(boxoffice)));
        var answers = new ConcurrentBag<(string Step, HttpStatusCode Status, string Body)>();
        var orders = new ConcurrentBag<(Buyer Buyer, Guid OrderId)>();
        using var start = new SemaphoreSlim(0);

        var racing = crowd.Select(async buyer =>
        {
            await start.WaitAsync(TestContext.Current.CancellationToken);
            using var held = await buyer.SendAsync(HttpMethod.Post, $"/events/{sale.EventId}/holds", new { tierId = sale.StandingTierId, quantity = 1 });
            var body = await held.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            answers.Add(("hold", held.StatusCode, body));
            if (held.StatusCode != HttpStatusCode.Created)
            {
                return;
            }

            var holdId = JsonDocument.Parse(body).RootElement.GetProperty("holdId").GetGuid();
            using var ordered = await buyer.SendAsync(HttpMethod.Post, "/orders", new { holdId });
            var orderBody = await ordered.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            answers.Add(("order", ordered.StatusCode, orderBody));
            if (ordered.StatusCode == HttpStatusCode.Created)
            {
                orders.Add((buyer, JsonDocument.Parse(orderBody).RootElement.GetProperty("orderId").GetGuid()));
            }
        }).ToList();
        start.Release(buyers);
        await Task.WhenAll(racing);

        // Every buyer was answered: a hold, or sold out. Never a server error.
        Assert.Equal(buyers, answers.Count(answer => answer.Step == "hold"));
        Assert.All(answers, answer => Assert.True(
            answer.Status is HttpStatusCode.Created || (answer.Step == "hold" && answer.Status == HttpStatusCode.Conflict && answer.Body.Contains("sold-out", StringComparison.Ordinal)),
            $"{answer.Step}: {(int)answer.Status} {answer.Body}"));
        Assert.Equal(places, answers.Count(answer => answer.Step == "hold" && answer.Status == HttpStatusCode.Created));
        Assert.Equal(places, orders.Count);

        // Every order is paid (the provider is healthy) and confirmed: exactly the capacity sold.
        var settled = await Task.WhenAll(orders.Select(order => order.Buyer.SettledOrderAsync(order.OrderId, TimeSpan.FromSeconds(90))));
        Assert.All(settled, order => Assert.Equal("confirmed", order.GetProperty("status").GetString()));

        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("bookingdb"));
        Assert.Equal((long)places, await ScalarAsync(db, "SELECT count(*) FROM units WHERE event_id = $1 AND order_id IS NOT NULL", sale.EventId));
        Assert.Equal((long)places, await ScalarAsync(db, "SELECT count(*) FROM tickets WHERE event_id = $1", sale.EventId));
        Assert.Equal((long)places, await ScalarAsync(db, "SELECT count(DISTINCT unit_id) FROM tickets WHERE event_id = $1", sale.EventId));
        Assert.Equal(0L, await ScalarAsync(db,
            "SELECT count(*) FROM tickets t JOIN units u ON u.unit_id = t.unit_id WHERE t.event_id = $1 AND u.order_id <> t.order_id", sale.EventId));
        Assert.Equal((long)places, await ScalarAsync(db, "SELECT count(*) FROM orders WHERE event_id = $1 AND status = 'confirmed'", sale.EventId));

        foreach (var buyer in crowd)
        {
            buyer.Dispose();
        }
    }

    internal static async Task<object?> ScalarAsync(NpgsqlDataSource db, string sql, params object[] parameters)
    {
        await using var command = db.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new() { Value = parameter });
        }

        return await command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
    }
}
