using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Boxoffice.Tests.Booking;
using Npgsql;

namespace Boxoffice.Tests.Payments;

/// <summary>
/// Payments' reconciliation sweep gives back what no order kept: a charge the provider made after
/// its order had been cancelled without one (the request that reached it only after Payments had
/// stopped waiting), and a charge made with the key of an order Payments never heard of, once it
/// is old enough to be called unknown. In the test run the sweep runs every
/// <see cref="BoxofficeApp.ReconciliationInterval"/>, over charges
/// <see cref="BoxofficeApp.ReconciliationSettleAfter"/> old, and calls a charge without an order
/// unknown after <see cref="BoxofficeApp.ReconciliationUnknownAfter"/>.
/// </summary>
[Collection<RunningApp>]
public sealed partial class ReconciliationTests(BoxofficeApp boxoffice)
{
    /// <summary>Long enough for a sweep to have seen a charge: it must first be SettleAfter old, then a sweep or two must run.</summary>
    private static readonly TimeSpan SweepLag = BoxofficeApp.ReconciliationSettleAfter + (4 * BoxofficeApp.ReconciliationInterval);

    [Fact]
    public async Task A_charge_made_after_its_order_was_cancelled_without_one_is_refunded_and_the_order_marked_refunded()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var sale = await Sale.OpenAsync(boxoffice, standingPlaces: 5);
        using var buyer = await Buyer.NewAsync(boxoffice);
        using var provider = await Provider.ConnectAsync(boxoffice);
        await using var payments = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("paymentsdb"));
        var refundedBefore = await ReconciledAsync("refunded");
        Guid orderId;
        JsonElement order;
        try
        {
            // The provider refuses every charge for the order's whole life: Payments fails it when it
            // is due, booking cancels it, and Payments, finding no charge, records it cancelled.
            await provider.SetChaosAsync(new { errorRate = 1.0 });
            var hold = await buyer.HoldAsync(sale);
            orderId = await buyer.OrderAsync(hold.GetProperty("holdId").GetGuid());
            order = await buyer.SettledOrderAsync(orderId, BoxofficeApp.HoldDuration + BoxofficeApp.PaymentGrace + TimeSpan.FromSeconds(60));
            Assert.Equal("cancelled", order.GetProperty("status").GetString());
            await BookingOutboxTests.WaitUntilAsync(async () => await PaymentStatusAsync(payments, orderId) == "cancelled",
                $"Payments to record order {orderId} cancelled", cancellationToken, seconds: 60);
        }
        finally
        {
            await provider.CalmAsync();
        }

        // Then a charge request for it reaches the provider after all, and is made.
        var amount = order.GetProperty("amount").GetDecimal();
        using (var late = await ChargeAsync(provider, orderId, amount, order.GetProperty("currency").GetString()!))
        {
            Assert.Equal(HttpStatusCode.Created, late.StatusCode);
        }

        // The sweep finds it succeeded against a cancelled payment and gives all of it back, with
        // the refund key OrderCancelled would have used; booking hears of it.
        await BookingOutboxTests.WaitUntilAsync(async () => (await provider.ChargeAsync(orderId))?.GetProperty("refundedAmount").GetDecimal() == amount,
            $"the late charge of order {orderId} to be refunded", cancellationToken, seconds: (int)(SweepLag.TotalSeconds + 30));
        Assert.Equal(amount, await RefundedAmountAsync(provider, $"refund-{orderId}"));
        await BookingOutboxTests.WaitUntilAsync(async () => await PaymentStatusAsync(payments, orderId) == "refunded",
            $"Payments to record order {orderId} refunded", cancellationToken, seconds: 30);
        await BookingOutboxTests.WaitUntilAsync(async () =>
                (await buyer.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/orders/{orderId}")).GetProperty("status").GetString() == "refunded",
            $"booking to mark order {orderId} refunded", cancellationToken, seconds: 30);
        Assert.True(await ReconciledAsync("refunded") > refundedBefore, "boxoffice_payments_reconciled_total{action=\"refunded\"} did not grow.");
    }

    [Fact]
    public async Task A_charge_with_the_key_of_an_order_payments_never_heard_of_is_refunded_once_it_is_old_enough()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var provider = await Provider.ConnectAsync(boxoffice);
        await using var payments = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("paymentsdb"));
        var unknownBefore = await ReconciledAsync("unknown-refunded");
        var orderId = Guid.CreateVersion7();
        var made = DateTime.UtcNow;
        using (var charge = await ChargeAsync(provider, orderId, 33.30m, "EUR"))
        {
            Assert.Equal(HttpStatusCode.Created, charge.StatusCode);
        }

        // Swept, but too young to be called unknown: an order may still be on its way to it.
        await Task.Delay(SweepLag, cancellationToken);
        if (DateTime.UtcNow - made < BoxofficeApp.ReconciliationUnknownAfter - TimeSpan.FromSeconds(5))
        {
            Assert.Equal(0m, (await provider.ChargeAsync(orderId))!.Value.GetProperty("refundedAmount").GetDecimal());
            Assert.Null(await PaymentStatusAsync(payments, orderId));
        }

        // Old enough: the order is recorded as cancelled (so a late OrderPlaced charges nothing) and the charge refunded.
        await BookingOutboxTests.WaitUntilAsync(async () => (await provider.ChargeAsync(orderId))?.GetProperty("refundedAmount").GetDecimal() == 33.30m,
            $"the charge of unknown order {orderId} to be refunded", cancellationToken, seconds: (int)(BoxofficeApp.ReconciliationUnknownAfter + SweepLag).TotalSeconds + 30);
        Assert.Equal(33.30m, await RefundedAmountAsync(provider, $"refund-{orderId}"));
        await BookingOutboxTests.WaitUntilAsync(async () => await PaymentStatusAsync(payments, orderId) == "refunded",
            $"Payments to record unknown order {orderId} refunded", cancellationToken, seconds: 30);
        Assert.True(await ReconciledAsync("unknown-refunded") > unknownBefore, "boxoffice_payments_reconciled_total{action=\"unknown-refunded\"} did not grow.");
    }

    /// <summary>A charge made as Payments makes one: the order id as the key and the reference.</summary>
    private static async Task<HttpResponseMessage> ChargeAsync(Provider provider, Guid orderId, decimal amount, string currency)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/charges") { Content = JsonContent.Create(new { amount, currency, reference = orderId.ToString() }) };
        request.Headers.Add("Idempotency-Key", orderId.ToString());
        return await provider.Http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static async Task<decimal> RefundedAmountAsync(Provider provider, string refundKey)
    {
        using var response = await provider.Http.GetAsync($"/refunds/{Uri.EscapeDataString(refundKey)}", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("amount").GetDecimal();
    }

    /// <summary>The order's payment row's status, or null when Payments has none.</summary>
    private static async Task<string?> PaymentStatusAsync(NpgsqlDataSource payments, Guid orderId) =>
        (string?)await BookingInvariantTests.ScalarAsync(payments, "SELECT status FROM payments WHERE order_id = $1", orderId);

    /// <summary>How many charges the sweep refunded with this action, from Payments' Prometheus endpoint.</summary>
    private async Task<double> ReconciledAsync(string action)
    {
        using var http = new HttpClient { BaseAddress = boxoffice.App.GetEndpoint("payments", "http") };
        var metrics = await http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        return Reconciled().Matches(metrics)
            .Where(match => match.Groups["labels"].Value.Contains($"action=\"{action}\"", StringComparison.Ordinal))
            .Sum(match => double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^boxoffice_payments_reconciled_total\{(?<labels>[^}]*)\} (?<value>[0-9.eE+]+)", RegexOptions.Multiline)]
    private static partial Regex Reconciled();
}
