using Boxoffice.Contracts.Catalog;

namespace Boxoffice.UnitTests.Contracts;

/// <summary>Event statuses are spelled one way by the catalog, booking and the wire.</summary>
public sealed class EventStatusNamesTests
{
    [Theory]
    [InlineData(EventStatus.Draft, "draft")]
    [InlineData(EventStatus.Published, "published")]
    [InlineData(EventStatus.OnSale, "on-sale")]
    [InlineData(EventStatus.Closed, "closed")]
    [InlineData(EventStatus.Cancelled, "cancelled")]
    public void Each_status_has_its_kebab_case_name_and_reads_back(EventStatus status, string name)
    {
        Assert.Equal(name, status.Name());
        Assert.Equal(status, EventStatusNames.Parse(name));
    }

    [Fact]
    public void Every_status_has_a_name()
    {
        Assert.All(Enum.GetValues<EventStatus>(), status => Assert.Equal(status, EventStatusNames.Parse(status.Name())));
    }

    [Theory]
    [InlineData("OnSale")]
    [InlineData("on_sale")]
    [InlineData("")]
    public void An_unknown_name_is_refused(string name)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => EventStatusNames.Parse(name));
    }
}
