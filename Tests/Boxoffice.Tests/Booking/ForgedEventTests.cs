using System.Net;
using System.Text;
using Boxoffice.Contracts;
using Boxoffice.Contracts.Payments;
using Boxoffice.Messaging;
using Boxoffice.Tests.Messaging;
using Boxoffice.Tests.Payments;
using Confluent.Kafka;
using Npgsql;

namespace Boxoffice.Tests.Booking;

/// <summary>
/// Booking trusts a payment result only when it can check it: it must come from Payments' source
/// and match its order's amount and currency. Anything else is dead-lettered with its reason and
/// changes nothing; the genuine result that follows still confirms the order. While the forged
/// results arrive, the provider is down, so the order waits for its payment (Payments retries).
/// </summary>
[Collection<RunningApp>]
public sealed class ForgedEventTests(BoxofficeApp boxoffice)
{
    [Fact]
    public async Task A_payment_result_from_another_source_is_dead_lettered_and_the_order_stays_pending_until_the_real_payment()
    {
        await WhileThePaymentWaitsAsync((order, amount, currency) =>
        [
            // A real producer, but not the one booking takes payment results from.
            (Forge(new PaymentSucceeded(order, "ch_forged", amount, currency), EventSources.Booking),
                ["PoisonMessageException", "Untrusted source", $"'{EventSources.Booking}'", $"'{EventSources.Payments}'"]),
        ]);
    }

    [Fact]
    public async Task A_payment_result_for_another_amount_or_currency_is_dead_lettered_and_the_order_stays_pending_until_the_real_payment()
    {
        await WhileThePaymentWaitsAsync((order, amount, currency) =>
        [
            (Forge(new PaymentSucceeded(order, "ch_forged", 0.01m, currency), EventSources.Payments),
                ["PoisonMessageException", "does not match its order", "it charged 0.01, the order is for "]),
            (Forge(new PaymentSucceeded(order, "ch_forged", amount, currency == "USD" ? "EUR" : "USD"), EventSources.Payments),
                ["PoisonMessageException", "does not match its order", $"the order in '{currency}'"]),
            (Forge(new PaymentRefunded(order, "ch_forged", "re_forged", amount + 1, currency), EventSources.Payments),
                ["PoisonMessageException", "does not match its order", "more than the order's"]),
        ]);
    }

    [Fact]
    public async Task A_payment_that_comes_after_its_places_went_to_another_buyer_cancels_the_order_and_sells_nothing_twice()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var sale = await Sale.OpenAsync(boxoffice, standingPlaces: 2);
        using var buyer = await Buyer.NewAsync(boxoffice);
        using var other = await Buyer.NewAsync(boxoffice);
        using var provider = await Provider.ConnectAsync(boxoffice);
        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("bookingdb"));
        try
        {
            // Down: Payments charges nothing, so the only result is the late one sent below.
            await provider.SetChaosAsync(new { errorRate = 1.0 });
            var holdId = (await buyer.HoldAsync(sale, quantity: 2)).GetProperty("holdId").GetGuid();
            var orderId = await buyer.OrderAsync(holdId);
            var placed = await buyer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/orders/{orderId}");

            // The hold's time runs out before the payment comes, and another buyer takes its places.
            await BookingInvariantTests.ScalarAsync(db, "UPDATE units SET held_until = now() - interval '1 second' WHERE hold_id = $1", holdId);
            var taken = (await other.HoldAsync(sale, quantity: 2)).GetProperty("holdId").GetGuid();

            var late = Forge(new PaymentSucceeded(orderId, "ch_late", placed.GetProperty("amount").GetDecimal(), placed.GetProperty("currency").GetString()!), EventSources.Payments);
            using (var test = new KafkaTestPublisher(await boxoffice.ConnectionStringAsync("kafka")))
            {
                await test.Publisher.PublishAsync(Topics.Payments, orderId.ToString(), late.Payload, cancellationToken: cancellationToken);
            }

            var order = await buyer.SettledOrderAsync(orderId);
            Assert.Equal("cancelled", order.GetProperty("status").GetString());
            Assert.Equal("hold-expired", order.GetProperty("cancelReason").GetString());
            Assert.Equal(0, (await buyer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/orders/{orderId}/tickets")).GetArrayLength());
            Assert.Equal(2L, await BookingInvariantTests.ScalarAsync(db, "SELECT count(*) FROM units WHERE hold_id = $1 AND order_id IS NULL", taken));
            Assert.Equal(0L, await BookingInvariantTests.ScalarAsync(db, "SELECT count(*) FROM units WHERE order_id = $1", orderId));
            Assert.Equal(1L, await BookingInvariantTests.ScalarAsync(db, "SELECT count(*) FROM inbox WHERE message_id = $1", late.Id));
            Assert.Equal(0L, await BookingInvariantTests.ScalarAsync(db, "SELECT count(*) FROM outbox WHERE key = $1 AND type = 'boxoffice.booking.order-confirmed'", orderId.ToString()));
            Assert.Equal(1L, await BookingInvariantTests.ScalarAsync(db, "SELECT count(*) FROM outbox WHERE key = $1 AND type = 'boxoffice.booking.order-cancelled'", orderId.ToString()));
        }
        finally
        {
            await provider.CalmAsync();
        }
    }

    /// <summary>
    /// Places an order while the provider refuses every call, sends the forged results for it, and
    /// checks each is dead-lettered with its reason while the order stays pending; then brings the
    /// provider back, and the order is confirmed by Payments' genuine result, once.
    /// </summary>
    private async Task WhileThePaymentWaitsAsync(Func<Guid, decimal, string, (Forged Event, string[] Reasons)[]> forge)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var sale = await Sale.OpenAsync(boxoffice);
        using var buyer = await Buyer.NewAsync(boxoffice);
        using var provider = await Provider.ConnectAsync(boxoffice);
        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("bookingdb"));
        var kafka = await boxoffice.ConnectionStringAsync("kafka");
        Guid orderId;
        try
        {
            // Down: Payments can charge nothing, so no genuine result comes while the forged ones do.
            await provider.SetChaosAsync(new { errorRate = 1.0 });
            var hold = await buyer.HoldAsync(sale, quantity: 2);
            orderId = await buyer.OrderAsync(hold.GetProperty("holdId").GetGuid());
            var placed = await buyer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/orders/{orderId}");
            var forged = forge(orderId, placed.GetProperty("amount").GetDecimal(), placed.GetProperty("currency").GetString()!);

            using (var test = new KafkaTestPublisher(kafka))
            {
                foreach (var (message, _) in forged)
                {
                    await test.Publisher.PublishAsync(Topics.Payments, orderId.ToString(), message.Payload, cancellationToken: cancellationToken);
                }
            }

            var parked = DeadLettered(kafka, orderId, [.. forged.Select(item => item.Event.Id)]);
            foreach (var (message, reasons) in forged)
            {
                var reason = Header(parked[message.Id], "boxoffice-dlq-reason");
                Assert.All(reasons, expected => Assert.Contains(expected, reason, StringComparison.Ordinal));
                Assert.Equal("booking-payments", Header(parked[message.Id], "boxoffice-dlq-group"));
                Assert.Equal(0L, await BookingInvariantTests.ScalarAsync(db, "SELECT count(*) FROM inbox WHERE message_id = $1", message.Id));
            }

            var order = await buyer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/orders/{orderId}");
            Assert.Equal("pending-payment", order.GetProperty("status").GetString());
            Assert.Equal(0, (await buyer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/orders/{orderId}/tickets")).GetArrayLength());
            Assert.Equal(0L, await BookingInvariantTests.ScalarAsync(db, "SELECT count(*) FROM outbox WHERE key = $1 AND type = 'boxoffice.booking.order-confirmed'", orderId.ToString()));
        }
        finally
        {
            await provider.CalmAsync();
        }

        // Payments' own result, once the provider is back (within the order's time to pay).
        var settled = await buyer.SettledOrderAsync(orderId, BoxofficeApp.HoldDuration + BoxofficeApp.PaymentGrace);
        Assert.Equal("confirmed", settled.GetProperty("status").GetString());
        Assert.Equal(2, (await buyer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/orders/{orderId}/tickets")).GetArrayLength());
        Assert.Equal(1L, await BookingInvariantTests.ScalarAsync(db, "SELECT count(*) FROM outbox WHERE key = $1 AND type = 'boxoffice.booking.order-confirmed'", orderId.ToString()));
    }

    private sealed record Forged(Guid Id, byte[] Payload);

    private static Forged Forge<T>(T data, string source)
        where T : class, IIntegrationEvent
    {
        var id = Guid.CreateVersion7();
        return new Forged(id, CloudEvent.Serialize(data, id, source, DateTimeOffset.UtcNow));
    }

    /// <summary>The dead-letter copies of the given messages about one order, by CloudEvents id; fails unless all arrive within 30 s.</summary>
    private static Dictionary<Guid, ConsumeResult<string, byte[]>> DeadLettered(string kafka, Guid orderId, IReadOnlyCollection<Guid> ids)
    {
        using var consumer = KafkaTestReader.From(kafka, Topics.DeadLetter(Topics.Payments));
        var found = new Dictionary<Guid, ConsumeResult<string, byte[]>>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (found.Count < ids.Count)
        {
            Assert.True(DateTime.UtcNow < deadline,
                $"Only {found.Count} of {ids.Count} forged results for order {orderId} arrived on {Topics.DeadLetter(Topics.Payments)} within 30 s.");
            var result = consumer.Consume(TimeSpan.FromMilliseconds(500));
            if (result?.Message?.Key == orderId.ToString() && CloudEvent.Peek(result.Message.Value).Id is { } id && ids.Contains(id))
            {
                found[id] = result;
            }
        }

        return found;
    }

    private static string Header(ConsumeResult<string, byte[]> result, string name) =>
        Encoding.UTF8.GetString(result.Message.Headers.GetLastBytes(name));
}
