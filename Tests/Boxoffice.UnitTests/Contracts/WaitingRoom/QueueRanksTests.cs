using Boxoffice.Contracts.WaitingRoom;

namespace Boxoffice.UnitTests.Contracts.WaitingRoom;

/// <summary>
/// Ranks and positions: a pre-queue rank is a random draw below <see cref="QueueRanks.LateBase"/>,
/// its position its share of that range; a later one queues behind the whole pre-queue, in arrival order.
/// </summary>
public sealed class QueueRanksTests
{
    [Fact]
    public void A_late_rank_is_after_every_prequeue_rank_in_arrival_order()
    {
        Assert.False(QueueRanks.IsPrequeue(QueueRanks.Late(1)));
        Assert.True(QueueRanks.IsPrequeue(QueueRanks.LateBase - 1));
        Assert.True(QueueRanks.Late(1) < QueueRanks.Late(2));
    }

    [Fact]
    public void A_drawn_rank_is_a_prequeue_rank()
    {
        Assert.All(Enumerable.Range(0, 1_000).Select(_ => QueueRanks.DrawPrequeue()), rank =>
        {
            Assert.True(rank >= 0);
            Assert.True(QueueRanks.IsPrequeue(rank));
        });
    }

    [Theory]
    [InlineData(1L, 1_000L, 1L)]
    [InlineData(QueueRanks.LateBase / 2, 1_000L, 500L)]
    [InlineData(QueueRanks.LateBase / 4, 1_000L, 250L)]
    [InlineData(QueueRanks.LateBase - 1, 1_000L, 1_000L)]
    public void A_prequeue_position_is_its_ranks_share_of_the_prequeue(long rank, long prequeue, long position)
    {
        Assert.Equal(position, QueueRanks.Position(rank, prequeue));
    }

    [Theory]
    [InlineData(0L, 1_000L)]
    [InlineData(0L, 0L)]
    [InlineData(QueueRanks.LateBase - 1, 0L)]
    public void A_prequeue_position_is_never_before_the_first_nor_past_the_prequeue(long rank, long prequeue)
    {
        Assert.Equal(1, QueueRanks.Position(rank, prequeue));
    }

    [Theory]
    [InlineData(1L, 0L, 1L)]
    [InlineData(1L, 1_000L, 1_001L)]
    [InlineData(25L, 1_000L, 1_025L)]
    public void A_late_position_follows_the_whole_prequeue_exactly(long arrival, long prequeue, long position)
    {
        Assert.Equal(position, QueueRanks.Position(QueueRanks.Late(arrival), prequeue));
    }

    [Fact]
    public void Positions_keep_the_order_of_ranks()
    {
        var ranks = Enumerable.Range(0, 200).Select(_ => QueueRanks.DrawPrequeue()).Order().Append(QueueRanks.Late(1)).Append(QueueRanks.Late(2)).ToList();

        var positions = ranks.Select(rank => QueueRanks.Position(rank, 200)).ToList();

        Assert.Equal(positions.Order(), positions);
        Assert.Equal([201L, 202L], positions[^2..]);
    }
}
