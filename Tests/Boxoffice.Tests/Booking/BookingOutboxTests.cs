using System.Diagnostics;
using System.Net;
using Boxoffice.Contracts;
using Boxoffice.Contracts.Payments;
using Boxoffice.Messaging;
using Boxoffice.Tests.Messaging;
using Npgsql;

namespace Boxoffice.Tests.Booking;

/// <summary>
/// No integration event is lost or handled twice: an order committed while the broker is away is
/// relayed after every booking replica was killed with SIGKILL and started again; a redelivered
/// payment result changes nothing.
/// </summary>
[Collection<RunningApp>]
public sealed class BookingOutboxTests(BoxofficeApp boxoffice)
{
    [Fact]
    public async Task An_order_committed_before_booking_was_killed_is_relayed_after_it_restarts()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var sale = await Sale.OpenAsync(boxoffice);
        using var buyer = await Buyer.NewAsync(boxoffice);
        var hold = await buyer.HoldAsync(sale);
        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("bookingdb"));
        using var control = new HttpClient { BaseAddress = boxoffice.App.GetEndpoint("kafka-broker", "http") };

        (await control.PostAsync("/broker/down", null, cancellationToken)).EnsureSuccessStatusCode();
        Guid orderId;
        try
        {
            orderId = await buyer.OrderAsync(hold.GetProperty("holdId").GetGuid());
            // Committed with its event, which cannot leave: every booking process that could relay
            // it is killed now, one replica at a time (SIGKILL: no shutdown, no last relay round),
            // each started again before the next is killed. The orchestrator's proxy in front of
            // booking keeps a running replica throughout: with none, it did not always come back
            // (docs/adr/0023-provider-without-proxy.md).
            Assert.Equal(1L, await UnpublishedAsync(db, orderId));
            var replicas = boxoffice.Instances.Values.Where(instance => instance.Resource.Name == "booking").Select(instance => instance.ResourceId).ToList();
            Assert.Equal(BoxofficeApp.BookingReplicas, replicas.Count);
            foreach (var replica in replicas)
            {
                // The orchestrator runs a project as `dotnet run`, which starts the service as its child.
                using (var process = ServiceProcesses.Find(ServiceProcesses.Launcher(boxoffice.Instances[replica]), "Boxoffice.Booking"))
                {
                    await ServiceProcesses.KillAsync(process, cancellationToken);
                }

                await WaitUntilAsync(() => boxoffice.Instances[replica].Snapshot.State?.Text != KnownResourceStates.Running,
                    $"the orchestrator to see {replica} stopped", cancellationToken, seconds: 20);
                Assert.Equal(1L, await UnpublishedAsync(db, orderId));
                await StartWithoutTheBrokerAsync(replica, cancellationToken);
            }

            Assert.Equal(1L, await UnpublishedAsync(db, orderId));
        }
        finally
        {
            (await control.PostAsync("/broker/up", null, CancellationToken.None)).EnsureSuccessStatusCode();
        }

        await boxoffice.WaitUntilEverythingHealthyAsync(cancellationToken, within: TimeSpan.FromSeconds(90));

        var order = await buyer.SettledOrderAsync(orderId, TimeSpan.FromSeconds(60));
        Assert.Equal(0L, await UnpublishedAsync(db, orderId));

        // Relayed: Payments got the OrderPlaced and charged it. The order is confirmed when booking
        // came back within its deadline (the hold's 20 s and a grace of 3 s in the tests); on a
        // slower restart the deadline passed first: the order is cancelled or refunded, and so is its
        // payment (the deadline alone, without the relay, would leave Payments with no payment at all).
        await using var payments = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("paymentsdb"));
        string[] expected = order.GetProperty("status").GetString() switch
        {
            "confirmed" => ["succeeded"],
            // Past its deadline: cancelled before the charge, or refunded when the charge came late.
            "cancelled" or "refunded" => ["refunded", "cancelled"],
            var other => throw new Xunit.Sdk.XunitException($"The order settled as {other}."),
        };
        await WaitUntilAsync(async () => await BookingInvariantTests.ScalarAsync(payments, "SELECT status FROM payments WHERE order_id = $1", orderId) is string payment
                && expected.Contains(payment),
            $"Payments to record the order's payment as {string.Join(" or ", expected)}", cancellationToken);
    }

    [Fact]
    public async Task A_redelivered_payment_result_changes_nothing()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var sale = await Sale.OpenAsync(boxoffice);
        using var buyer = await Buyer.NewAsync(boxoffice);
        var hold = await buyer.HoldAsync(sale, quantity: 2);
        var orderId = await buyer.OrderAsync(hold.GetProperty("holdId").GetGuid());
        Assert.Equal("confirmed", (await buyer.SettledOrderAsync(orderId)).GetProperty("status").GetString());

        // The very message Payments sent, sent again (as a relay that crashed before marking it would).
        await using var payments = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("paymentsdb"));
        await using var read = payments.CreateCommand("SELECT message_id, payload FROM outbox WHERE key = $1 AND type = 'boxoffice.payments.payment-succeeded'");
        read.Parameters.Add(new() { Value = orderId.ToString() });
        Guid messageId;
        byte[] payload;
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            Assert.True(await reader.ReadAsync(cancellationToken));
            (messageId, payload) = (reader.GetGuid(0), reader.GetFieldValue<byte[]>(1));
        }

        using var kafka = new KafkaTestPublisher(await boxoffice.ConnectionStringAsync("kafka"));
        await kafka.Publisher.PublishAsync(Topics.Payments, orderId.ToString(), payload, cancellationToken: cancellationToken);
        // A marker behind it on the same partition: once booking has handled the marker, it has handled the copy.
        var markerId = Guid.NewGuid();
        var marker = CloudEvent.Serialize(new PaymentRefunded(orderId, "marker", "marker", 0.01m, "EUR"), markerId, EventSources.Payments, DateTimeOffset.UtcNow);
        await kafka.Publisher.PublishAsync(Topics.Payments, orderId.ToString(), marker, cancellationToken: cancellationToken);

        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("bookingdb"));
        await WaitUntilAsync(async () => await BookingInvariantTests.ScalarAsync(db, "SELECT count(*) FROM inbox WHERE consumer = 'booking-payments' AND message_id = $1", markerId) is 1L,
            "booking to handle the marker", cancellationToken);
        Assert.Equal(1L, await BookingInvariantTests.ScalarAsync(db, "SELECT count(*) FROM inbox WHERE consumer = 'booking-payments' AND message_id = $1", messageId));
        Assert.Equal(2L, await BookingInvariantTests.ScalarAsync(db, "SELECT count(*) FROM tickets WHERE order_id = $1", orderId));
        Assert.Equal(1L, await BookingInvariantTests.ScalarAsync(db, "SELECT count(*) FROM outbox WHERE key = $1 AND type = 'boxoffice.booking.order-confirmed'", orderId.ToString()));
        Assert.Equal("confirmed", (await buyer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/orders/{orderId}")).GetProperty("status").GetString());
    }

    private static async Task<long> UnpublishedAsync(NpgsqlDataSource db, Guid orderId) =>
        (long)(await BookingInvariantTests.ScalarAsync(db,
            "SELECT count(*) FROM outbox WHERE key = $1 AND type = 'boxoffice.booking.order-placed' AND published_at IS NULL", orderId.ToString()))!;

    /// <summary>
    /// Starts a killed booking replica again while the broker is away, until the orchestrator runs
    /// it (not healthy: the broker is still away). A start runs the resource's waits again, and
    /// booking waits for the broker to be healthy: once Aspire's periodic check has seen the broker
    /// away, the replica sits in Waiting, and a second Start runs it without the wait.
    /// </summary>
    private async Task StartWithoutTheBrokerAsync(string replica, CancellationToken cancellationToken)
    {
        await ServiceProcesses.StartAsync(boxoffice, replica, cancellationToken);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var waitingSince = (DateTime?)null;
        while (boxoffice.Instances[replica].Snapshot.State?.Text is var state && state != KnownResourceStates.Running)
        {
            Assert.True(DateTime.UtcNow < deadline, $"The orchestrator did not run {replica} again within 60 s (it shows {state}).");
            if (state == KnownResourceStates.Waiting)
            {
                waitingSince ??= DateTime.UtcNow;
                if (DateTime.UtcNow - waitingSince > TimeSpan.FromSeconds(2))
                {
                    await ServiceProcesses.StartAsync(boxoffice, replica, cancellationToken);
                    waitingSince = null;
                }
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    private static Task WaitUntilAsync(Func<bool> condition, string what, CancellationToken cancellationToken, int seconds = 60) =>
        WaitUntilAsync(() => Task.FromResult(condition()), what, cancellationToken, seconds);

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, CancellationToken cancellationToken, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Waited {seconds} s for {what}.");
            await Task.Delay(200, cancellationToken);
        }
    }
}
