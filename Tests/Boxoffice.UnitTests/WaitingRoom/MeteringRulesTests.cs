using Boxoffice.WaitingRoom.Metering;

namespace Boxoffice.UnitTests.WaitingRoom;

/// <summary>How many places a tick offers: a credit that grows with time, capped at one interval's worth, within the cap of valid admissions.</summary>
public sealed class MeteringRulesTests
{
    private static readonly DateTimeOffset Now = new(2027, 3, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private static MeteredTick Next(
        double credit = 0, TimeSpan? since = null, int? rate = 50, int? max = null, long holding = 0, bool soldOut = false, long? left = null,
        TimeSpan? interval = null) =>
        MeteringRules.Next(credit, since is { } elapsed ? Now - elapsed : null, Now, rate, max, holding, soldOut, left, interval ?? Second);

    [Fact]
    public void The_first_tick_offers_one_intervals_worth()
    {
        Assert.Equal(50, Next().Offers);
        Assert.Equal(25, Next(interval: TimeSpan.FromMilliseconds(500)).Offers);
    }

    [Fact]
    public void A_tick_offers_what_the_time_since_the_last_one_earned()
    {
        var tick = Next(since: TimeSpan.FromMilliseconds(400));

        Assert.Equal(20, tick.Offers);
        Assert.Equal(20, tick.Credit, 6);
    }

    [Fact]
    public void A_late_tick_or_a_replica_that_was_down_never_catches_up_with_a_burst()
    {
        Assert.Equal(50, Next(since: TimeSpan.FromMinutes(5)).Offers);
        Assert.Equal(50, Next(credit: 50, since: TimeSpan.FromSeconds(3)).Offers);
    }

    [Fact]
    public void The_fraction_left_over_is_kept_for_the_next_tick()
    {
        var first = Next(rate: 3, since: TimeSpan.FromMilliseconds(500));
        Assert.Equal(1, first.Offers);
        Assert.Equal(0.5, first.CreditAfter(first.Offers), 6);

        var second = Next(credit: first.CreditAfter(first.Offers), rate: 3, since: TimeSpan.FromMilliseconds(500));
        Assert.Equal(2, second.Offers);
    }

    [Fact]
    public void A_rate_slower_than_one_a_tick_still_reaches_one_place()
    {
        var interval = TimeSpan.FromMilliseconds(500);

        var first = Next(rate: 1, since: interval, interval: interval);
        var second = Next(credit: first.CreditAfter(first.Offers), rate: 1, since: interval, interval: interval);

        Assert.Equal((0, 1), (first.Offers, second.Offers));
    }

    [Fact]
    public void Credit_not_spent_because_fewer_were_waiting_is_kept_but_capped()
    {
        var tick = Next(since: Second);

        Assert.Equal(45, tick.CreditAfter(5), 6);
        Assert.Equal(50, Next(credit: tick.CreditAfter(5), since: Second).Offers);
    }

    [Fact]
    public void The_cap_of_valid_admissions_takes_fewer()
    {
        Assert.Equal(10, Next(max: 100, holding: 90).Offers);
        Assert.Equal(0, Next(max: 100, holding: 100).Offers);
        Assert.Equal(0, Next(max: 100, holding: 120).Offers);
    }

    [Fact]
    public void No_more_are_offered_than_the_places_left_serve_and_the_credit_waits()
    {
        var tick = Next(left: 3);

        Assert.Equal(3, tick.Offers);
        Assert.Equal(0, Next(left: 0).Offers);
        Assert.Equal(0, Next(left: -4).Offers);
        Assert.Equal(50, Next(left: 500).Offers);
        Assert.Equal(47, tick.CreditAfter(tick.Offers), 6);
    }

    [Fact]
    public void Without_a_rate_the_cap_alone_limits_and_no_credit_is_kept()
    {
        var tick = Next(rate: null, max: 1000, holding: 10);

        Assert.Equal(990, tick.Offers);
        Assert.Equal(0, tick.CreditAfter(990));
        Assert.Equal(MeteringRules.MaxOffersPerTick, Next(rate: null).Offers);
    }

    [Fact]
    public void Nothing_is_offered_while_sold_out_and_the_credit_still_grows_within_its_cap()
    {
        var tick = Next(credit: 10, since: Second, soldOut: true);

        Assert.Equal(0, tick.Offers);
        Assert.Equal(50, tick.CreditAfter(0), 6);
    }

    [Fact]
    public void A_clock_behind_the_last_tick_adds_nothing()
    {
        var tick = MeteringRules.Next(5, Now + Second, Now, 50, null, 0, false, null, Second);

        Assert.Equal(5, tick.Offers);
    }

    [Theory]
    [InlineData(10, 0, 1.0, 10)] // one place a buyer
    [InlineData(10, 4, 1.0, 6)]
    [InlineData(10, 0, 2.0, 5)] // buyers take two each: ten places serve five
    [InlineData(10, 3, 2.0, 2)]
    [InlineData(9, 0, 2.0, 5)] // rounded up: a last place is offered
    [InlineData(1, 0, 4.0, 1)]
    [InlineData(10, 6, 2.0, -1)] // more on their way than the places serve: none
    [InlineData(0, 0, 2.0, 0)]
    [InlineData(10, 0, 0.5, 10)] // never less than one place a buyer
    [InlineData(10, 0, double.NaN, 10)]
    public void The_places_left_serve_as_many_buyers_as_they_take_each_less_those_on_their_way(long available, long inFlight, double placesPerBuyer, long buyers)
    {
        Assert.Equal(buyers, MeteringRules.BuyersLeft(available, inFlight, placesPerBuyer));
    }

    [Theory]
    [InlineData(0, 0, 4, 4.0)] // nothing seen yet: each may take the limit
    [InlineData(0, 0, null, 1.0)] // and without a limit from booking, one place a buyer
    [InlineData(10, 10, 4, 2.5)] // ten buyers took one each: as much weight as the limit
    [InlineData(990, 1980, 4, 2.02)] // many seen: their average of two, almost
    [InlineData(5, 20, 4, 4.0)] // buyers who took the limit each leave it there
    [InlineData(10, 0, 4, 2.0)] // holds seen with no units: the limit's weight alone
    [InlineData(1000, 0, 4, 1.0)] // never less than one a buyer
    [InlineData(10, 100, 4, 4.0)] // holds given back and taken again add up past the limit: never above it
    [InlineData(100, 400, 2, 2.0)] // a limit lowered during the sale: nobody can hold more than it now
    [InlineData(10, 100, null, 5.5)] // no limit known: the holds seen alone bound it
    [InlineData(0, 0, 0, 1.0)] // a nonsense limit counts as one
    [InlineData(-3, -5, -1, 1.0)]
    public void Each_buyer_is_reckoned_to_take_the_ticket_limit_until_the_holds_seen_outweigh_it(long buyers, long places, int? ticketLimit, double each)
    {
        Assert.Equal(each, MeteringRules.PlacesPerBuyer(buyers, places, ticketLimit), 2);
    }

    [Fact]
    public void At_the_opening_the_places_serve_as_many_buyers_as_each_could_take_the_limit()
    {
        // 1,000 places, a limit of 4, no hold seen yet: 250 buyers, not 1,000 who would race for 500 buyers' worth.
        Assert.Equal(250, MeteringRules.BuyersLeft(1000, 0, MeteringRules.PlacesPerBuyer(0, 0, 4)));
        // 200 of them seen holding two each (600 places left), 50 still on their way: each is
        // reckoned at 2.1 now, so 237 more are let in, 487 in all, about the 500 two places each serve.
        Assert.Equal(237, MeteringRules.BuyersLeft(600, 50, MeteringRules.PlacesPerBuyer(200, 400, 4)));
    }

    [Fact]
    public void A_claim_counts_as_on_its_way_twice_as_long_as_recent_buyers_took_to_hold_within_its_bounds()
    {
        var least = TimeSpan.FromSeconds(6);
        var most = TimeSpan.FromSeconds(60);

        // Nothing seen yet: the longest wait.
        Assert.Equal(most, MeteringRules.HoldWait(null, least, most));
        Assert.Equal(TimeSpan.FromSeconds(20), MeteringRules.HoldWait(TimeSpan.FromSeconds(10), least, most));
        Assert.Equal(least, MeteringRules.HoldWait(TimeSpan.FromSeconds(1), least, most));
        Assert.Equal(most, MeteringRules.HoldWait(TimeSpan.FromMinutes(45), least, most));
        Assert.Equal(most, MeteringRules.HoldWait(TimeSpan.MaxValue, least, most));
        // Bounds set the wrong way round: the least wins.
        Assert.Equal(least, MeteringRules.HoldWait(TimeSpan.FromSeconds(30), least, TimeSpan.FromSeconds(1)));
    }
}
