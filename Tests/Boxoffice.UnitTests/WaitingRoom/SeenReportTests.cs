using Boxoffice.WaitingRoom.Queues;

namespace Boxoffice.UnitTests.WaitingRoom;

/// <summary>What a gateway's report of the buyers it saw polling may hold.</summary>
public sealed class SeenReportTests
{
    private static readonly Guid EventId = Guid.Parse("0199a6c4-5e2b-7f3a-9c1d-2b4e6f8a0c1e");

    [Fact]
    public void A_report_of_buyers_by_event_is_taken()
    {
        Assert.Empty(QueuesApi.Check(new SeenReport(new() { [EventId] = ["buyer-1", "buyer-2"], [Guid.NewGuid()] = [] })));
        Assert.Empty(QueuesApi.Check(new SeenReport(new())));
    }

    [Fact]
    public void A_report_without_events_is_refused()
    {
        Assert.Contains("events", QueuesApi.Check(new SeenReport(null)).Keys);
    }

    [Fact]
    public void Empty_missing_or_overlong_buyer_ids_are_refused()
    {
        foreach (var buyers in new[] { null, new[] { "" }, new[] { "ok", null! }, new[] { new string('b', QueuesApi.MaxBuyerIdLength + 1) } })
        {
            Assert.Contains($"events.{EventId}", QueuesApi.Check(new SeenReport(new() { [EventId] = buyers! })).Keys);
        }
    }

    [Fact]
    public void At_most_a_hundred_thousand_buyers_a_report()
    {
        var half = Enumerable.Range(0, QueuesApi.MaxSeenPerReport / 2).Select(i => $"b{i}").ToArray();

        Assert.Empty(QueuesApi.Check(new SeenReport(new() { [EventId] = half, [Guid.NewGuid()] = half })));
        Assert.Contains("events", QueuesApi.Check(new SeenReport(new() { [EventId] = half, [Guid.NewGuid()] = [.. half, "one-more"] })).Keys);
    }
}
