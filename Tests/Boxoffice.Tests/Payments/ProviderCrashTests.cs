using Boxoffice.Tests.Booking;

namespace Boxoffice.Tests.Payments;

/// <summary>
/// The lost-order defect of issue 13, reproduced on purpose: the payment provider dies between
/// recording a charge and completing it. Before the fix the charge stayed <c>processing</c> for
/// ever, every retry of the order's charge was answered "still in progress", and the order waited
/// for payment until its deadline while its <c>OrderPlaced</c> never reached Payments' inbox.
/// </summary>
[Collection<RunningApp>]
public sealed class ProviderCrashTests(BoxofficeApp boxoffice)
{
    [Fact]
    public async Task A_charge_the_provider_started_before_it_was_killed_completes_and_the_order_settles()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var sale = await Sale.OpenAsync(boxoffice, standingPlaces: 5);
        using var buyer = await Buyer.NewAsync(boxoffice);
        using var provider = await Provider.ConnectAsync(boxoffice);
        var hold = await buyer.HoldAsync(sale);
        Guid orderId;
        try
        {
            // Every charge takes 4 s between being recorded and being completed.
            await provider.SetChaosAsync(new { latencyMs = 4000 });
            orderId = await buyer.OrderAsync(hold.GetProperty("holdId").GetGuid());
            await BookingOutboxTests.WaitUntilAsync(async () => await provider.ChargeAsync(orderId) is { } charge && charge.GetProperty("status").GetString() == "processing",
                "the provider to start charging the order", cancellationToken, seconds: 30);

            // SIGKILL mid-charge: the process that would have completed it is gone.
            await ServiceProcesses.KillAndStartAsync(boxoffice, "payment-provider", "Boxoffice.PaymentProvider", cancellationToken);
        }
        finally
        {
            // A restarted provider starts calm; this only matters if the kill failed.
            await provider.CalmAsync();
        }

        // The charge the dead process started has its outcome, as a real PSP's would.
        await BookingOutboxTests.WaitUntilAsync(async () => (await provider.ChargeAsync(orderId))?.GetProperty("status").GetString() is "succeeded" or "declined",
            "the started charge to complete", cancellationToken, seconds: 30);

        // And the order settles: confirmed and charged once, or (when the restart outlasted the
        // hold) cancelled with its money back. Either way nothing is left waiting.
        var order = await buyer.SettledOrderAsync(orderId, BoxofficeApp.HoldDuration + BoxofficeApp.PaymentGrace + TimeSpan.FromSeconds(60));
        var amount = order.GetProperty("amount").GetDecimal();
        if (order.GetProperty("status").GetString() == "confirmed")
        {
            var charge = await provider.ChargeAsync(orderId);
            Assert.Equal("succeeded", charge!.Value.GetProperty("status").GetString());
            Assert.Equal(amount, charge.Value.GetProperty("amount").GetDecimal());
            Assert.Equal(0m, charge.Value.GetProperty("refundedAmount").GetDecimal());
        }
        else
        {
            Assert.Contains(order.GetProperty("status").GetString(), new[] { "cancelled", "refunded" });
            await BookingOutboxTests.WaitUntilAsync(async () => await provider.ChargeAsync(orderId) is { } charge
                    && (charge.GetProperty("status").GetString() == "declined" || charge.GetProperty("refundedAmount").GetDecimal() == amount),
                $"cancelled order {orderId}'s charge to be refunded", cancellationToken, seconds: 60);
        }
    }
}
