using Boxoffice.Contracts.Catalog;
using Boxoffice.Contracts.WaitingRoom;
using Boxoffice.WaitingRoom.Queues;

namespace Boxoffice.UnitTests.WaitingRoom;

/// <summary>A queue's state from its row, and the snapshot and statuses built on it.</summary>
public sealed class QueueRulesTests
{
    private static readonly DateTimeOffset Opens = new(2027, 3, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly Guid EventId = Guid.Parse("0199a6c4-5e2b-7f3a-9c1d-2b4e6f8a0c1e");

    private static QueueRow Queue(string status = EventStatusNames.OnSale, bool soldOut = false, DateTimeOffset? shuffledAt = null, long prequeue = 0,
        long servedThrough = -1, long admitted = 0, int? rate = 50) =>
        new(EventId, 3, status, Opens, Opens.AddDays(1), null, true, Opens.AddHours(-1), rate, null, 15, 0,
            shuffledAt, prequeue, 0, servedThrough, admitted, 0, null, soldOut, 0);

    [Theory]
    [InlineData(EventStatusNames.Closed)]
    [InlineData(EventStatusNames.Cancelled)]
    public void A_closed_or_cancelled_event_closes_its_queue(string status)
    {
        Assert.Equal(QueueStates.Closed, QueueRules.StateOf(Queue(status), Opens.AddMinutes(-30)));
        Assert.Equal(QueueStates.Closed, QueueRules.StateOf(Queue(status, soldOut: true), Opens.AddMinutes(30)));
    }

    [Fact]
    public void The_queue_closes_when_the_sale_does()
    {
        Assert.Equal(QueueStates.Closed, QueueRules.StateOf(Queue(), Opens.AddDays(1)));
        Assert.False(QueueRules.IsOpen(Queue(), Opens.AddDays(1)));
    }

    [Fact]
    public void Before_the_opening_everybody_is_in_the_pre_queue()
    {
        Assert.Equal(QueueStates.Prequeue, QueueRules.StateOf(Queue(), Opens.AddSeconds(-1)));
        Assert.False(QueueRules.IsOpen(Queue(), Opens.AddSeconds(-1)));
    }

    [Fact]
    public void An_event_whose_sale_the_organizer_has_not_opened_stays_in_the_pre_queue_past_its_announced_opening()
    {
        Assert.Equal(QueueStates.Prequeue, QueueRules.StateOf(Queue(EventStatusNames.Published), Opens.AddMinutes(5)));
        Assert.False(QueueRules.IsOpen(Queue(EventStatusNames.Published), Opens.AddMinutes(5)));
    }

    [Fact]
    public void An_open_sale_is_waiting_or_sold_out()
    {
        Assert.Equal(QueueStates.Waiting, QueueRules.StateOf(Queue(), Opens));
        Assert.True(QueueRules.IsOpen(Queue(), Opens));
        Assert.Equal(QueueStates.SoldOut, QueueRules.StateOf(Queue(soldOut: true), Opens.AddMinutes(5)));
        Assert.True(QueueRules.IsOpen(Queue(soldOut: true), Opens.AddMinutes(5)));
    }

    [Fact]
    public void The_rate_is_measured_over_ten_seconds_or_since_the_opening_if_sooner()
    {
        Assert.Equal(0, QueueRules.MeasuredRate(100, null, Opens));
        Assert.Equal(10, QueueRules.MeasuredRate(100, Opens, Opens.AddMinutes(1)));
        Assert.Equal(25, QueueRules.MeasuredRate(100, Opens, Opens.AddSeconds(4)));
        Assert.Equal(100, QueueRules.MeasuredRate(100, Opens, Opens.AddMilliseconds(200)));
        Assert.Equal(0, QueueRules.MeasuredRate(0, Opens, Opens.AddMinutes(1)));
    }

    [Fact]
    public void The_snapshot_carries_what_the_gateway_answers_status_from()
    {
        var snapshot = QueueRules.Snapshot(Queue(shuffledAt: Opens, prequeue: 500, servedThrough: 42, admitted: 7), 493, 6.5, Opens.AddMinutes(1));

        Assert.Equal(new QueueSnapshot(EventId, QueueStates.Waiting, Opens.AddHours(-1), Opens, true, 500, 42, 7, 493, 50, 6.5), snapshot);
    }

    [Fact]
    public void A_place_whose_rank_was_offered_is_told_to_ask_again_in_a_second()
    {
        var snapshot = QueueRules.Snapshot(Queue(shuffledAt: Opens, prequeue: 10, servedThrough: QueueRanks.LateBase + 5, admitted: 15), 0, 5, Opens.AddMinutes(1));
        var ticket = new QueueTicket(EventId, "buyer", QueueRanks.Late(3), Opens.ToUnixTimeSeconds());

        var status = QueueRules.StatusOf(ticket, snapshot, Opens.AddMinutes(1));

        Assert.Equal((QueueStates.Waiting, 0L, QueueSchedule.MinPollSeconds), (status.State, status.Ahead!.Value, status.PollAfterSeconds!.Value));
    }

    [Fact]
    public void A_place_further_back_is_told_its_position()
    {
        var snapshot = QueueRules.Snapshot(Queue(shuffledAt: Opens, prequeue: 10, servedThrough: 5, admitted: 4), 0, 0, Opens.AddMinutes(1));
        var ticket = new QueueTicket(EventId, "buyer", QueueRanks.Late(3), Opens.ToUnixTimeSeconds());

        var status = QueueRules.StatusOf(ticket, snapshot, Opens.AddMinutes(1));

        Assert.Equal((QueueStates.Waiting, 13L, 8L), (status.State, status.Position!.Value, status.Ahead!.Value));
    }

    [Fact]
    public void A_queue_slowed_by_the_places_left_keeps_its_front_polling_every_second()
    {
        // Rate 50 a second, but the last 10 s offered a place every 5 s: only returned places are
        // left. The 50 places still waiting at the front of the line end at arrival 600 (most of
        // those ahead of them have left).
        var snapshot = QueueRules.Snapshot(Queue(shuffledAt: Opens, servedThrough: -1, admitted: 200), 800, 0.2, Opens.AddMinutes(1), frontThrough: QueueRanks.Late(600));
        QueueStatus StatusAt(long arrival) =>
            QueueRules.StatusOf(new QueueTicket(EventId, "buyer", QueueRanks.Late(arrival), Opens.ToUnixTimeSeconds()), snapshot, Opens.AddMinutes(1));

        // In the front: every second, though 399 are counted ahead and the estimate says half an hour.
        var front = StatusAt(600);
        Assert.Equal((399L, 1_995, QueueSchedule.MinPollSeconds), (front.Ahead!.Value, front.EstimatedWaitSeconds!.Value, front.PollAfterSeconds!.Value));
        // Behind it: the estimate at the measured pace, but the next poll when the turn could come
        // at the queue's own rate (400 ahead at 50 a second), not in a minute.
        var behind = StatusAt(601);
        Assert.Equal((400L, 2_000, 8), (behind.Ahead!.Value, behind.EstimatedWaitSeconds!.Value, behind.PollAfterSeconds!.Value));
        var back = StatusAt(5_000);
        Assert.Equal((4_799L, QueueSchedule.MaxPollSeconds), (back.Ahead!.Value, back.PollAfterSeconds!.Value));
        // No front known (an older waiting room): the queue's rate for everyone.
        var unknown = QueueRules.StatusOf(new QueueTicket(EventId, "buyer", QueueRanks.Late(600), Opens.ToUnixTimeSeconds()),
            QueueRules.Snapshot(Queue(shuffledAt: Opens, servedThrough: -1, admitted: 200), 800, 0.2, Opens.AddMinutes(1)), Opens.AddMinutes(1));
        Assert.Equal((399L, 8), (unknown.Ahead!.Value, unknown.PollAfterSeconds!.Value));
    }

    [Fact]
    public void A_place_beyond_what_the_places_left_reach_polls_within_the_second_half_minute()
    {
        // Rate 50 a second; the places left reach the waiting place at arrival 300.
        var snapshot = QueueRules.Snapshot(Queue(shuffledAt: Opens, servedThrough: -1, admitted: 200), 800, 0.2, Opens.AddMinutes(1),
            frontThrough: QueueRanks.Late(250), reachThrough: QueueRanks.Late(300));
        int Poll(long arrival) =>
            QueueRules.StatusOf(new QueueTicket(EventId, "buyer", QueueRanks.Late(arrival), Opens.ToUnixTimeSeconds()), snapshot, Opens.AddMinutes(1)).PollAfterSeconds!.Value;

        // Within the reach: as the rate says (99 ahead at 50 a second).
        Assert.Equal(2, Poll(300));
        // Beyond it: nothing comes before places do, so the second half of the minute: the same
        // for one place at every poll, spread over all of it across places.
        var beyond = Enumerable.Range(301, 500).Select(arrival => Poll(arrival)).ToList();
        Assert.All(beyond, poll => Assert.InRange(poll, QueueSchedule.MaxPollSeconds / 2, QueueSchedule.MaxPollSeconds));
        Assert.True(beyond.Distinct().Count() >= 25, $"{beyond.Distinct().Count()} distinct delays over the second half minute");
        Assert.Equal(Poll(301), Poll(301));
        // The back polls once a minute as before.
        Assert.Equal(QueueSchedule.MaxPollSeconds, Poll(5_000));
    }

    [Fact]
    public void A_queue_without_a_rate_is_polled_at_its_measured_pace()
    {
        var snapshot = QueueRules.Snapshot(Queue(shuffledAt: Opens, servedThrough: -1, admitted: 200, rate: null), 800, 4, Opens.AddMinutes(1));

        var status = QueueRules.StatusOf(new QueueTicket(EventId, "buyer", QueueRanks.Late(300), Opens.ToUnixTimeSeconds()), snapshot, Opens.AddMinutes(1));

        Assert.Equal((99L, 25, 25), (status.Ahead!.Value, status.EstimatedWaitSeconds!.Value, status.PollAfterSeconds!.Value));
    }

    [Theory]
    [InlineData(0, QueueSchedule.MinPollSeconds)]
    [InlineData(1, 1)]
    [InlineData(7, 7)]
    [InlineData(24, 24)]
    [InlineData(60, 60)]
    [InlineData(61, QueueSchedule.MaxPollSeconds)]
    [InlineData(5_000, QueueSchedule.MaxPollSeconds)]
    public void A_waiting_buyer_polls_again_after_the_expected_wait_between_one_second_and_a_minute(int wait, int pollAfter)
    {
        Assert.Equal(pollAfter, QueueSchedule.PollAfter(wait));
    }

    [Fact]
    public void Without_an_expected_wait_a_buyer_polls_again_in_half_a_minute()
    {
        Assert.Equal(QueueSchedule.MaxPollSeconds / 2, QueueSchedule.PollAfter(null));
    }

    [Theory]
    [InlineData(1_000, 2)]
    [InlineData(10_000, 20)]
    [InlineData(100_000, QueueSchedule.MaxPollSeconds)]
    public void Without_a_rate_the_pre_queue_first_polls_are_spread_over_a_second_per_500_places(long waiting, int spread)
    {
        var snapshot = new QueueSnapshot(EventId, QueueStates.Prequeue, Opens.AddHours(-1), Opens, false, waiting, -1, 0, waiting, null, 0);
        var random = new Random(7);
        var polls = Enumerable.Range(0, 2_000).Select(_ =>
            QueueSchedule.StatusOf(new QueueTicket(EventId, "buyer", random.NextInt64(QueueRanks.LateBase), Opens.AddMinutes(-5).ToUnixTimeSeconds()), snapshot, Opens)!.PollAfterSeconds!.Value).ToList();

        // Right at the opening: each first poll falls in [1 s, spread], and the whole range is used.
        Assert.All(polls, poll => Assert.InRange(poll, QueueSchedule.MinPollSeconds, spread));
        Assert.Equal(spread, polls.Max());
        Assert.True(polls.Distinct().Count() >= spread - 1, $"{polls.Distinct().Count()} distinct delays over a spread of {spread} s");
    }

    [Fact]
    public void With_a_rate_a_pre_queue_place_first_polls_when_its_turn_could_come_and_the_back_over_the_second_half_minute()
    {
        // 10,000 in the pre-queue at 100 a second: the rank in the ticket says where the opening
        // will put it. Many places at each position (ranks a few apart), so each one's own jitter shows.
        var snapshot = new QueueSnapshot(EventId, QueueStates.Prequeue, Opens.AddHours(-1), Opens, false, 10_000, -1, 0, 10_000, 100, 0);
        List<QueueTicket> At(long position)
        {
            var first = (long)(QueueRanks.LateBase / 10_000.0 * (position - 0.5));
            var tickets = Enumerable.Range(0, 2_000).Select(i => new QueueTicket(EventId, "buyer", first + (i * 37L), Opens.AddMinutes(-5).ToUnixTimeSeconds())).ToList();
            Assert.All(tickets, ticket => Assert.Equal(position, QueueRanks.Position(ticket.Rank, 10_000)));
            return tickets;
        }

        int Poll(QueueTicket ticket, DateTimeOffset now) => QueueSchedule.StatusOf(ticket, snapshot, now)!.PollAfterSeconds!.Value;

        // The front comes back with the opening; the 2,000th when 100 a second reach it.
        Assert.All(At(1), ticket => Assert.Equal(QueueSchedule.MinPollSeconds, Poll(ticket, Opens)));
        Assert.All(At(2_000), ticket => Assert.InRange(Poll(ticket, Opens), 20, 21));
        Assert.All(At(2_000), ticket => Assert.InRange(Poll(ticket, Opens.AddSeconds(-10)), 30, 31));
        // Beyond half a minute's reach: the second half of the minute, all of it used, and the
        // same answer to the same place.
        var back = At(8_000).Select(ticket => Poll(ticket, Opens)).ToList();
        Assert.All(back, poll => Assert.InRange(poll, QueueSchedule.MaxPollSeconds / 2, QueueSchedule.MaxPollSeconds));
        Assert.True(back.Distinct().Count() >= 25, $"{back.Distinct().Count()} distinct delays over the second half minute");
        Assert.All(At(8_000), ticket => Assert.Equal(Poll(ticket, Opens), Poll(ticket, Opens)));
        // Further than the longest poll from now: a poll before the opening first, and the one
        // after it lands in the second half of the minute after the opening all the same.
        Assert.All(At(8_000), ticket =>
        {
            var first = Poll(ticket, Opens.AddSeconds(-50));
            Assert.InRange(first, QueueSchedule.MinPollSeconds, 50);
            var second = Poll(ticket, Opens.AddSeconds(-50 + first));
            Assert.InRange(-50 + first + second, QueueSchedule.MaxPollSeconds / 2, QueueSchedule.MaxPollSeconds + 1);
        });
        // The front, a minute and a half before the opening: half a minute's poll, then one that
        // brings it back with the opening.
        Assert.All(At(1), ticket =>
        {
            var first = Poll(ticket, Opens.AddSeconds(-90));
            Assert.InRange(first, 30, 31);
            Assert.InRange(-90 + first + Poll(ticket, Opens.AddSeconds(-90 + first)), 0, 2);
        });
    }
}
