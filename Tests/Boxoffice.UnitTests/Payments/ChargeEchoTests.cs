using Boxoffice.Payments.Provider;

namespace Boxoffice.UnitTests.Payments;

/// <summary>Payments confirms a charge only when the provider's answer is the order's own: its key, its reference, its amount and currency.</summary>
public sealed class ChargeEchoTests
{
    private static readonly Guid OrderId = Guid.Parse("0199a6c4-5e2b-7f3a-9c1d-2b4e6f8a0c1e");

    private static ProviderCharge Answer(string? key = null, string? reference = null, decimal amount = 45.50m, string currency = "EUR", string status = "succeeded") =>
        new("ch_1", key ?? OrderId.ToString(), reference ?? OrderId.ToString(), amount, currency, status, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, 0m);

    [Fact]
    public void The_order_s_own_charge_matches()
    {
        Assert.Null(ChargeEcho.Mismatch(Answer(), OrderId, 45.50m, "EUR", "succeeded"));
        Assert.Null(ChargeEcho.Mismatch(Answer(amount: 45.5m), OrderId, 45.50m, "EUR"));
        Assert.Null(ChargeEcho.Mismatch(Answer(status: "declined"), OrderId, 45.50m, "EUR", "declined"));
    }

    [Fact]
    public void Without_an_amount_or_currency_only_the_key_and_reference_are_checked()
    {
        Assert.Null(ChargeEcho.Mismatch(Answer(amount: 1m, currency: "USD"), OrderId));
    }

    [Fact]
    public void Another_key_is_another_charge()
    {
        var other = Guid.Parse("0199a6c4-5e2b-7f3a-9c1d-2b4e6f8a0c1f").ToString();

        Assert.Equal($"it is the charge with key '{other}', not {OrderId}", ChargeEcho.Mismatch(Answer(key: other), OrderId, 45.50m, "EUR"));
        Assert.NotNull(ChargeEcho.Mismatch(Answer(key: OrderId.ToString().ToUpperInvariant()), OrderId));
    }

    [Fact]
    public void Another_reference_is_not_the_order_s()
    {
        Assert.Equal($"its reference is 'order 7', not {OrderId}", ChargeEcho.Mismatch(Answer(reference: "order 7"), OrderId, 45.50m, "EUR"));
    }

    [Fact]
    public void Another_amount_or_currency_is_not_the_order_s()
    {
        Assert.Equal("it is for 45.51, the order for 45.50", ChargeEcho.Mismatch(Answer(amount: 45.51m), OrderId, 45.50m, "EUR"));
        Assert.Equal("it is in 'eur', the order in 'EUR'", ChargeEcho.Mismatch(Answer(currency: "eur"), OrderId, 45.50m, "EUR"));
    }

    [Fact]
    public void A_status_other_than_the_answer_claimed_is_not_trusted()
    {
        Assert.Equal("its status is 'processing', the answer said succeeded", ChargeEcho.Mismatch(Answer(status: "processing"), OrderId, 45.50m, "EUR", "succeeded"));
    }

    [Fact]
    public void Missing_fields_never_match_and_long_ones_are_cut_short()
    {
        var missing = new ProviderCharge("ch_1", null!, null!, 45.50m, null!, null!, default, null, 0m);

        Assert.Equal($"it is the charge with key (none), not {OrderId}", ChargeEcho.Mismatch(missing, OrderId));
        Assert.Equal($"its reference is '{new string('r', 40)}…', not {OrderId}", ChargeEcho.Mismatch(Answer(reference: new string('r', 500)), OrderId));
    }
}
