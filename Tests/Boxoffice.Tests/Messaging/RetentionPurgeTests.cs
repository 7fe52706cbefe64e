using System.Net;
using System.Text;
using Boxoffice.Contracts;
using Boxoffice.Tests.Booking;
using Npgsql;

namespace Boxoffice.Tests.Messaging;

/// <summary>
/// Booking's tables stay bounded: the retention purge deletes what is old enough (published outbox
/// rows, handled inbox rows, idempotency keys, holds that ended without an order) and keeps what a
/// person or a client may still need (parked rows, recent rows, a hold a unit still names). The
/// rows are made old by moving their times back; the tests run booking's purge every
/// <see cref="Interval"/> (<c>Messaging__Retention__Interval</c> in BoxofficeApp).
/// </summary>
[Collection<RunningApp>]
public sealed class RetentionPurgeTests(BoxofficeApp boxoffice)
{
    /// <summary>How often booking purges in the tests: BoxofficeApp sets <c>Messaging__Retention__Interval</c> to this.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan Long = TimeSpan.FromDays(8);

    [Fact]
    public async Task Old_outbox_and_inbox_rows_are_deleted_and_parked_or_recent_ones_kept()
    {
        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("bookingdb"));
        var now = DateTimeOffset.UtcNow;
        var published = await OutboxRowAsync(db, createdAt: now - Long, publishedAgo: Long, parked: false);
        var parked = await OutboxRowAsync(db, createdAt: now - Long, publishedAgo: null, parked: true);
        var recent = await OutboxRowAsync(db, createdAt: now - TimeSpan.FromHours(1), publishedAgo: TimeSpan.FromHours(1), parked: false);
        var handledLongAgo = await InboxRowAsync(db, Long);
        var handledNow = await InboxRowAsync(db, TimeSpan.Zero);

        await UntilGoneAsync(db, "SELECT count(*) FROM outbox WHERE id = $1", published);
        await UntilGoneAsync(db, "SELECT count(*) FROM inbox WHERE message_id = $1", handledLongAgo);

        Assert.Equal(1L, await BookingInvariantTests.ScalarAsync(db, "SELECT count(*) FROM outbox WHERE id = $1", parked));
        Assert.Equal(1L, await BookingInvariantTests.ScalarAsync(db, "SELECT count(*) FROM outbox WHERE id = $1", recent));
        Assert.Equal(1L, await BookingInvariantTests.ScalarAsync(db, "SELECT count(*) FROM inbox WHERE message_id = $1", handledNow));
        // Left for a person to act on; not for the next test run to trip over.
        await BookingInvariantTests.ScalarAsync(db, "DELETE FROM outbox WHERE id = $1", parked);
    }

    [Fact]
    public async Task An_old_idempotency_key_is_forgotten_and_its_replay_is_a_new_request()
    {
        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("bookingdb"));
        var sale = await Sale.OpenAsync(boxoffice);
        using var buyer = await Buyer.NewAsync(boxoffice);
        var key = $"retention-{Guid.NewGuid():N}";
        var first = (await buyer.HoldAsync(sale, quantity: 1, idempotencyKey: key)).GetProperty("holdId").GetGuid();
        await buyer.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/holds/{first}");
        Assert.Equal(first, (await buyer.HoldAsync(sale, quantity: 1, idempotencyKey: key)).GetProperty("holdId").GetGuid());

        await BookingInvariantTests.ScalarAsync(db, "UPDATE idempotency_keys SET created_at = now() - interval '2 days' WHERE buyer_id = $1 AND key = $2", buyer.Id, key);
        await UntilGoneAsync(db, "SELECT count(*) FROM idempotency_keys WHERE buyer_id = $1 AND key = $2", buyer.Id, key);

        var second = (await buyer.HoldAsync(sale, quantity: 1, idempotencyKey: key)).GetProperty("holdId").GetGuid();
        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task A_hold_that_ended_long_ago_is_deleted_unless_an_order_or_a_unit_still_names_it()
    {
        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("bookingdb"));
        var sale = await Sale.OpenAsync(boxoffice);
        using var buyer = await Buyer.NewAsync(boxoffice);
        var released = await ReleasedHoldAsync(sale);
        var named = await ReleasedHoldAsync(sale);
        var recent = await ReleasedHoldAsync(sale);
        var ordered = (await buyer.HoldAsync(sale, quantity: 1)).GetProperty("holdId").GetGuid();
        await buyer.OrderAsync(ordered);
        await BookingInvariantTests.ScalarAsync(db, "UPDATE holds SET expires_at = now() - interval '8 days' WHERE hold_id = ANY($1)", new[] { released, named, ordered });
        // A unit that still names its hold (ending a hold clears it; this one is made by hand).
        var unit = (long)(await BookingInvariantTests.ScalarAsync(db,
            "UPDATE units SET hold_id = $1 WHERE unit_id = (SELECT unit_id FROM units WHERE event_id = $2 AND hold_id IS NULL AND order_id IS NULL LIMIT 1) RETURNING unit_id",
            named, sale.EventId))!;

        await UntilGoneAsync(db, "SELECT count(*) FROM holds WHERE hold_id = $1", released);

        foreach (var kept in new[] { named, recent, ordered })
        {
            Assert.Equal(1L, await BookingInvariantTests.ScalarAsync(db, "SELECT count(*) FROM holds WHERE hold_id = $1", kept));
        }

        await BookingInvariantTests.ScalarAsync(db, "UPDATE units SET hold_id = NULL WHERE unit_id = $1", unit);
    }

    /// <summary>A hold released at once, by a buyer of its own (one buyer giving up hold after hold is held back: booking's abandoned-holds cap).</summary>
    private async Task<Guid> ReleasedHoldAsync(Sale sale)
    {
        using var buyer = await Buyer.NewAsync(boxoffice);
        var hold = (await buyer.HoldAsync(sale, quantity: 1)).GetProperty("holdId").GetGuid();
        await buyer.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/holds/{hold}");
        return hold;
    }

    private static async Task<long> OutboxRowAsync(NpgsqlDataSource db, DateTimeOffset createdAt, TimeSpan? publishedAgo, bool parked)
    {
        // As the writer makes it: a UUIDv7 of when the row was written.
        var messageId = Guid.CreateVersion7(createdAt);
        var payload = Encoding.UTF8.GetBytes($$"""{"data":{},"specversion":"1.0","id":"{{messageId}}","source":"/boxoffice/booking","type":"boxoffice.tests.retention"}""");
        return (long)(await BookingInvariantTests.ScalarAsync(db,
            """
            INSERT INTO outbox (message_id, topic, key, type, payload, created_at, published_at, failed_at, last_error)
            VALUES ($1, $2, $3, 'boxoffice.tests.retention', $4, $5,
                    CASE WHEN $6 THEN now() - $7::interval END,
                    CASE WHEN $8 THEN $5 END, CASE WHEN $8 THEN 'refused in a test' END)
            RETURNING id
            """,
            messageId, Topics.BookingOrders, messageId.ToString(), payload, createdAt, publishedAgo is not null, publishedAgo ?? TimeSpan.Zero, parked))!;
    }

    private static async Task<Guid> InboxRowAsync(NpgsqlDataSource db, TimeSpan handledAgo)
    {
        var messageId = Guid.NewGuid();
        await BookingInvariantTests.ScalarAsync(db,
            "INSERT INTO inbox (consumer, message_id, type, handled_at) VALUES ('tests-retention', $1, 'boxoffice.tests.retention', now() - $2::interval)",
            messageId, handledAgo);
        return messageId;
    }

    /// <summary>Until the count the query gives is 0; fails after three purge intervals and some.</summary>
    private static async Task UntilGoneAsync(NpgsqlDataSource db, string countSql, params object[] parameters)
    {
        var patience = (3 * Interval) + TimeSpan.FromSeconds(30);
        var deadline = DateTime.UtcNow + patience;
        while (!Equals(await BookingInvariantTests.ScalarAsync(db, countSql, parameters), 0L))
        {
            Assert.True(DateTime.UtcNow < deadline,
                $"The retention purge did not delete the row within {patience.TotalSeconds} s: is booking's Messaging__Retention__Interval {Interval:c} in BoxofficeApp?");
            await Task.Delay(500, TestContext.Current.CancellationToken);
        }
    }
}
