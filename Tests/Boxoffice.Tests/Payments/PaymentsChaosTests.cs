using System.Globalization;
using System.Text.RegularExpressions;
using Boxoffice.Tests.Booking;

namespace Boxoffice.Tests.Payments;

/// <summary>
/// Payments against a provider that is down, then fails 30 % of calls and answers 10 % 2 s late:
/// the circuit opens and closes again, every order ends confirmed or cancelled by its deadline, the
/// provider holds exactly one live charge per confirmed order, and every charge of a cancelled
/// order is refunded.
/// </summary>
[Collection<RunningApp>]
public sealed partial class PaymentsChaosTests(BoxofficeApp boxoffice)
{
    [Fact]
    public async Task Orders_settle_correctly_through_an_outage_and_a_flaky_provider()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var sale = await Sale.OpenAsync(boxoffice, standingPlaces: 40);
        using var provider = await Provider.ConnectAsync(boxoffice);
        var openedBefore = await BreakerTransitionsAsync("open");
        var closedBefore = await BreakerTransitionsAsync("closed");
        var orders = new List<(Buyer Buyer, Guid OrderId)>();
        try
        {
            // Down: every call fails, the circuit opens, orders wait on the retry topic.
            await provider.SetChaosAsync(new { errorRate = 1.0 });
            orders.AddRange(await PlaceOrdersAsync(sale, 8));
            await BookingOutboxTests.WaitUntilAsync(async () => await BreakerTransitionsAsync("open") > openedBefore, "the circuit to open", cancellationToken, seconds: 30);

            // Back, but flaky: 30 % errors, and 10 % of answers 2 s late (past the 1 s attempt timeout,
            // so they are retried with the same key while the provider completes the first).
            await provider.SetChaosAsync(new { errorRate = 0.3, spikeRate = 0.1, spikeMs = 2000 });
            orders.AddRange(await PlaceOrdersAsync(sale, 16));

            var deadline = BoxofficeApp.HoldDuration + BoxofficeApp.PaymentGrace + TimeSpan.FromSeconds(30);
            var settled = await Task.WhenAll(orders.Select(order => order.Buyer.SettledOrderAsync(order.OrderId, deadline)));
            await BookingOutboxTests.WaitUntilAsync(async () => await BreakerTransitionsAsync("closed") > closedBefore, "the circuit to close", cancellationToken, seconds: 30);

            // Late charges of cancelled orders are refunded once Payments sees the cancellation.
            var confirmed = 0;
            foreach (var (order, (buyer, orderId)) in settled.Zip(orders))
            {
                var status = order.GetProperty("status").GetString();
                Assert.Contains(status, new[] { "confirmed", "cancelled", "refunded" });
                var amount = order.GetProperty("amount").GetDecimal();
                if (status == "confirmed")
                {
                    confirmed++;
                    var charge = await provider.ChargeAsync(orderId);
                    Assert.NotNull(charge);
                    Assert.Equal("succeeded", charge.Value.GetProperty("status").GetString());
                    Assert.Equal(amount, charge.Value.GetProperty("amount").GetDecimal());
                    Assert.Equal(0m, charge.Value.GetProperty("refundedAmount").GetDecimal());
                    continue;
                }

                await BookingOutboxTests.WaitUntilAsync(async () =>
                    await provider.ChargeAsync(orderId) is not { } charge
                    || charge.GetProperty("status").GetString() == "declined"
                    || (charge.GetProperty("status").GetString() == "succeeded" && charge.GetProperty("refundedAmount").GetDecimal() == amount),
                    $"cancelled order {orderId}'s charge to be refunded", cancellationToken, seconds: 30);
            }

            Assert.True(confirmed > 0, "No order was confirmed: the provider never recovered.");
        }
        finally
        {
            await provider.CalmAsync();
            foreach (var (buyer, _) in orders)
            {
                buyer.Dispose();
            }
        }
    }

    private async Task<List<(Buyer, Guid)>> PlaceOrdersAsync(Sale sale, int count) =>
        [.. await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
        {
            var buyer = await Buyer.NewAsync(boxoffice);
            var hold = await buyer.HoldAsync(sale);
            return (buyer, await buyer.OrderAsync(hold.GetProperty("holdId").GetGuid()));
        }))];

    /// <summary>How often the payment provider's circuit entered <paramref name="state"/>, from Payments' Prometheus endpoint.</summary>
    private async Task<double> BreakerTransitionsAsync(string state)
    {
        using var http = new HttpClient { BaseAddress = boxoffice.App.GetEndpoint("payments", "http") };
        var metrics = await http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        return Transitions().Matches(metrics)
            .Where(match => match.Groups["labels"].Value.Contains($"state=\"{state}\"", StringComparison.Ordinal))
            .Sum(match => double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^boxoffice_payments_breaker_transitions_total\{(?<labels>[^}]*)\} (?<value>[0-9.eE+]+)", RegexOptions.Multiline)]
    private static partial Regex Transitions();
}
