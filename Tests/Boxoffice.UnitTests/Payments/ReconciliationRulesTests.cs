using Boxoffice.Payments.Provider;
using Boxoffice.Payments.Reconciliation;

namespace Boxoffice.UnitTests.Payments;

/// <summary>What the reconciliation sweep does with a provider charge, given its order's payment row.</summary>
public sealed class ReconciliationRulesTests
{
    private static readonly Guid OrderId = Guid.Parse("0199a6c4-5e2b-7f3a-9c1d-2b4e6f8a0c1e");
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan UnknownAfter = TimeSpan.FromMinutes(30);

    private static ProviderCharge Charge(string status = "succeeded", decimal refunded = 0m, TimeSpan? age = null, string? key = null) =>
        new("ch_1", key ?? OrderId.ToString(), OrderId.ToString(), 20m, "EUR", status, Now - (age ?? TimeSpan.FromMinutes(5)), Now, refunded);

    private static Reconcile Decide(ProviderCharge charge, PaymentRow? row) => ReconciliationRules.Decide(charge, row, Now, UnknownAfter);

    [Fact]
    public void A_charge_its_order_kept_is_settled()
    {
        Assert.Equal(Reconcile.Settled, Decide(Charge(), new PaymentRow("succeeded", null)));
    }

    [Theory]
    [InlineData("failed")]
    [InlineData("cancelled")]
    public void A_charge_kept_for_an_order_that_failed_or_was_cancelled_is_refunded(string status)
    {
        Assert.Equal(Reconcile.Refund, Decide(Charge(), new PaymentRow(status, null)));
        Assert.Equal(Reconcile.Refund, Decide(Charge(refunded: 5m), new PaymentRow(status, null)));
    }

    [Fact]
    public void A_refunded_payment_is_settled_with_its_refund_and_refunded_again_without_one()
    {
        Assert.Equal(Reconcile.Settled, Decide(Charge(), new PaymentRow("refunded", "re_1")));
        Assert.Equal(Reconcile.Refund, Decide(Charge(), new PaymentRow("refunded", null)));
    }

    [Theory]
    [InlineData("declined", 0)]
    [InlineData("succeeded", 20)]
    public void A_charge_that_took_nothing_or_gave_it_all_back_is_settled_whatever_the_row(string status, int refunded)
    {
        foreach (var row in new PaymentRow?[] { null, new("pending", null), new("failed", null), new("cancelled", null) })
        {
            Assert.Equal(Reconcile.Settled, Decide(Charge(status, refunded, TimeSpan.FromHours(1)), row));
        }
    }

    [Fact]
    public void A_processing_charge_or_a_pending_payment_waits()
    {
        Assert.Equal(Reconcile.Wait, Decide(Charge("processing"), new PaymentRow("cancelled", null)));
        Assert.Equal(Reconcile.Wait, Decide(Charge("processing", age: TimeSpan.FromHours(1)), null));
        Assert.Equal(Reconcile.Wait, Decide(Charge(), new PaymentRow("pending", null)));
    }

    [Fact]
    public void A_charge_without_a_row_waits_until_it_is_old_enough_to_be_unknown_then_is_refunded()
    {
        Assert.Equal(Reconcile.Wait, Decide(Charge(age: UnknownAfter - TimeSpan.FromSeconds(1)), null));
        Assert.Equal(Reconcile.RefundUnknown, Decide(Charge(age: UnknownAfter), null));
    }

    [Theory]
    [InlineData("order-7")]
    [InlineData("0199A6C4-5E2B-7F3A-9C1D-2B4E6F8A0C1E")]
    [InlineData("{0199a6c4-5e2b-7f3a-9c1d-2b4e6f8a0c1e}")]
    [InlineData("0199a6c45e2b7f3a9c1d2b4e6f8a0c1e")]
    public void A_charge_whose_key_is_not_an_order_id_as_payments_writes_it_is_not_ours(string key)
    {
        Assert.Null(ReconciliationRules.OrderIdOf(Charge(key: key)));
        Assert.Equal(Reconcile.NotOurs, Decide(Charge(key: key, age: TimeSpan.FromHours(1)), null));
    }

    [Fact]
    public void An_order_id_key_names_its_order()
    {
        Assert.Equal(OrderId, ReconciliationRules.OrderIdOf(Charge()));
    }

    [Fact]
    public void The_unknown_age_is_never_shorter_than_the_settling_time()
    {
        Assert.True(ReconciliationOptions.IsConsistent(new ReconciliationOptions()));
        Assert.False(ReconciliationOptions.IsConsistent(new ReconciliationOptions { SettleAfter = TimeSpan.FromMinutes(5), UnknownAfter = TimeSpan.FromMinutes(4) }));
    }
}
