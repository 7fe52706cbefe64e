using Boxoffice.Catalog.Events;
using Boxoffice.Contracts.Catalog;
using static Boxoffice.UnitTests.Catalog.Events.EventRequests;

namespace Boxoffice.UnitTests.Catalog.Events;

/// <summary>
/// An event's waiting room as an organizer asks for it: what is left out takes its default, and
/// the pre-queue opens no later than the sale. Errors are keyed by the JSON path a client sent.
/// </summary>
public sealed class WaitingRoomRulesTests
{
    [Fact]
    public void An_empty_waiting_room_takes_every_default()
    {
        Assert.Equal(new WaitingRoomSettings(SaleOpensAt.AddHours(-1), 50, null, 15, 0), WaitingRoomRules.Resolve(Room(), SaleOpensAt));
    }

    [Fact]
    public void What_is_given_is_kept()
    {
        var room = new WaitingRoomRequest(SaleOpensAt.AddDays(-1), 200, 5_000, 30, 18);

        Assert.Equal(new WaitingRoomSettings(SaleOpensAt.AddDays(-1), 200, 5_000, 30, 18), WaitingRoomRules.Resolve(room, SaleOpensAt));
    }

    [Fact]
    public void A_cap_without_a_rate_admits_up_to_the_cap_with_no_rate()
    {
        var settings = WaitingRoomRules.Resolve(Room() with { MaxAdmitted = 1_000 }, SaleOpensAt);

        Assert.Null(settings.AdmitPerSecond);
        Assert.Equal(1_000, settings.MaxAdmitted);
    }

    [Fact]
    public void A_rate_without_a_cap_has_no_cap()
    {
        var settings = WaitingRoomRules.Resolve(Room() with { AdmitPerSecond = 10 }, SaleOpensAt);

        Assert.Equal(10, settings.AdmitPerSecond);
        Assert.Null(settings.MaxAdmitted);
    }

    [Fact]
    public void A_prequeue_that_opens_with_the_sale_or_before_passes()
    {
        Assert.Empty(WaitingRoomRules.Check(Room() with { PrequeueOpensAt = SaleOpensAt }, SaleOpensAt));
        Assert.Empty(WaitingRoomRules.Check(Room() with { PrequeueOpensAt = SaleOpensAt.AddDays(-2) }, SaleOpensAt));
        Assert.Empty(WaitingRoomRules.Check(Room(), SaleOpensAt));
    }

    [Fact]
    public void A_prequeue_that_opens_after_the_sale_is_refused_under_the_prefix_given()
    {
        var late = Room() with { PrequeueOpensAt = SaleOpensAt.AddTicks(10) };

        Errors.AssertEqual(WaitingRoomRules.Check(late, SaleOpensAt), ("prequeueOpensAt", "The pre-queue opens before the sale opens, or when it does."));
        Errors.AssertEqual(WaitingRoomRules.Check(late, SaleOpensAt, "waitingRoom."),
            ("waitingRoom.prequeueOpensAt", "The pre-queue opens before the sale opens, or when it does."));
    }

    [Fact]
    public void An_events_waiting_room_is_checked_with_the_event_and_resolved_against_its_sale()
    {
        var request = Event(Room() with { PrequeueOpensAt = SaleOpensAt.AddMinutes(1) });

        Errors.AssertEqual(EventRules.Check(request, Venue(), SaleOpensAt.AddDays(-30)),
            ("waitingRoom.prequeueOpensAt", "The pre-queue opens before the sale opens, or when it does."));
        Assert.Equal(SaleOpensAt.AddMinutes(-60), Event(Room()).ResolvedWaitingRoom()!.PrequeueOpensAt);
        Assert.Null(Event(null).ResolvedWaitingRoom());
    }

    [Fact]
    public void The_prequeue_time_is_compared_at_the_microseconds_it_is_stored_with()
    {
        // 100 ns after the opening in .NET's ticks, the same microsecond in PostgreSQL.
        var request = Event(Room() with { PrequeueOpensAt = SaleOpensAt.AddTicks(1) }).Normalized();

        Assert.Equal(SaleOpensAt, request.WaitingRoom!.PrequeueOpensAt);
        Assert.Empty(EventRules.Check(request, Venue(), SaleOpensAt.AddDays(-30)));
    }

    private static WaitingRoomRequest Room() => new(null, null, null, null, null);
}
