using Boxoffice.Booking.Orders;
using Boxoffice.Contracts.Payments;

namespace Boxoffice.UnitTests.Booking.Orders;

/// <summary>
/// <see cref="PaymentChecks"/>: a payment result must match what never changes on its order (the
/// amount and currency Payments was told in OrderPlaced), whatever the order's status.
/// </summary>
public sealed class PaymentChecksTests
{
    private static readonly Guid OrderId = Guid.Parse("0199a3c4-5b6d-7e8f-9012-3456789abcde");

    private static LockedOrder Order(string status = "pending-payment") =>
        new(Guid.NewGuid(), Guid.NewGuid(), "buyer-1", 60.00m, "EUR", 2, status, DateTimeOffset.UnixEpoch);

    [Theory]
    [InlineData("pending-payment")]
    [InlineData("confirmed")]
    [InlineData("cancelled")]
    [InlineData("refunded")]
    public void A_charge_of_the_orders_amount_in_its_currency_matches_in_any_status(string status)
    {
        Assert.Null(PaymentChecks.Succeeded(new PaymentSucceeded(OrderId, "ch_1", 60.00m, "EUR"), Order(status)));
    }

    [Fact]
    public void The_amount_is_compared_as_a_number_not_as_it_is_written()
    {
        Assert.Null(PaymentChecks.Succeeded(new PaymentSucceeded(OrderId, "ch_1", 60m, "EUR"), Order()));
        Assert.Null(PaymentChecks.Succeeded(new PaymentSucceeded(OrderId, "ch_1", 60.0000m, "EUR"), Order()));
    }

    [Theory]
    [InlineData(59.99)]
    [InlineData(60.01)]
    [InlineData(0)]
    [InlineData(-60)]
    [InlineData(120)]
    public void A_charge_of_another_amount_is_refused_with_both_amounts(double amount)
    {
        var mismatch = PaymentChecks.Succeeded(new PaymentSucceeded(OrderId, "ch_1", (decimal)amount, "EUR"), Order());

        Assert.NotNull(mismatch);
        Assert.Equal($"it charged {(decimal)amount}, the order is for 60.00", mismatch.Reason);
    }

    [Theory]
    [InlineData("USD")]
    [InlineData("eur")]
    [InlineData("EUR ")]
    [InlineData("")]
    public void A_charge_in_another_currency_is_refused_even_for_the_same_amount(string currency)
    {
        var mismatch = PaymentChecks.Succeeded(new PaymentSucceeded(OrderId, "ch_1", 60.00m, currency), Order());

        Assert.NotNull(mismatch);
        Assert.Equal($"it is in '{currency}', the order in 'EUR'", mismatch.Reason);
    }

    [Fact]
    public void A_missing_currency_is_refused()
    {
        Assert.Equal("it is in (none), the order in 'EUR'", PaymentChecks.Succeeded(new PaymentSucceeded(OrderId, "ch_1", 60.00m, null!), Order())?.Reason);
    }

    [Fact]
    public void A_huge_forged_value_is_quoted_cut_short()
    {
        var mismatch = PaymentChecks.Succeeded(new PaymentSucceeded(OrderId, "ch_1", 60.00m, new string('X', 100_000)), Order());

        Assert.Equal($"it is in '{new string('X', 20)}…', the order in 'EUR'", mismatch?.Reason);
    }

    [Theory]
    [InlineData(60)]
    [InlineData(0.01)]
    [InlineData(30)]
    public void A_refund_of_at_most_the_order_amount_in_its_currency_matches(double amount)
    {
        Assert.Null(PaymentChecks.Refunded(new PaymentRefunded(OrderId, "ch_1", "re_1", (decimal)amount, "EUR"), Order("cancelled")));
    }

    [Fact]
    public void A_refund_of_more_than_the_order_is_refused()
    {
        Assert.Equal("it refunds 60.01, more than the order's 60.00",
            PaymentChecks.Refunded(new PaymentRefunded(OrderId, "ch_1", "re_1", 60.01m, "EUR"), Order("cancelled"))?.Reason);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void A_refund_that_returns_nothing_is_refused(double amount)
    {
        Assert.Equal($"it refunds {(decimal)amount}, which returns nothing",
            PaymentChecks.Refunded(new PaymentRefunded(OrderId, "ch_1", "re_1", (decimal)amount, "EUR"), Order("cancelled"))?.Reason);
    }

    [Fact]
    public void A_refund_in_another_currency_is_refused()
    {
        Assert.Equal("it is in 'USD', the order in 'EUR'",
            PaymentChecks.Refunded(new PaymentRefunded(OrderId, "ch_1", "re_1", 10m, "USD"), Order("cancelled"))?.Reason);
    }

    [Fact]
    public void A_result_for_an_unknown_order_names_it()
    {
        Assert.Equal($"booking knows no order {OrderId}", PaymentChecks.UnknownOrder(OrderId).Reason);
    }
}
