using Boxoffice.Catalog.Events;
using Boxoffice.Contracts.Catalog;
using static Boxoffice.UnitTests.Catalog.Events.EventRequests;

namespace Boxoffice.UnitTests.Catalog.Events;

/// <summary>
/// An event's ticket limit as an organizer sets it: an integer from 1 to 10 in the event's body
/// (optional) and in the limit's own (required), checked by the validation the catalog's endpoints
/// run; and carried as it is by the events booking learns it from.
/// </summary>
public sealed class TicketLimitTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(EventRules.MaxTicketLimit)]
    public async Task A_limit_from_1_to_10_passes_in_either_body(int limit)
    {
        Assert.Empty(await RequestValidation.ErrorsAsync(Event(ticketLimit: limit)));
        Assert.Empty(await RequestValidation.ErrorsAsync(new TicketLimitRequest(limit)));
    }

    [Fact]
    public async Task An_event_without_a_limit_passes()
    {
        Assert.Empty(await RequestValidation.ErrorsAsync(Event()));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(11)]
    [InlineData(int.MaxValue)]
    public async Task A_limit_outside_1_to_10_is_refused_naming_the_field_in_either_body(int limit)
    {
        Assert.Equal(["ticketLimit"], (await RequestValidation.ErrorsAsync(Event(ticketLimit: limit))).Keys.Select(Camel));
        Assert.Equal(["ticketLimit"], (await RequestValidation.ErrorsAsync(new TicketLimitRequest(limit))).Keys.Select(Camel));
    }

    [Fact]
    public async Task The_limits_own_body_without_a_limit_is_refused()
    {
        Assert.Equal(["ticketLimit"], (await RequestValidation.ErrorsAsync(new TicketLimitRequest(null))).Keys.Select(Camel));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(null)]
    public void EventPublished_carries_the_limit_as_it_is(int? limit)
    {
        var published = EventMessages.Published(Detail(EventStatus.Published, limit), "organizer-1", Venue());

        Assert.Equal(limit, published.TicketLimit);
    }

    [Theory]
    [InlineData(EventStatus.OnSale, 3)]
    [InlineData(EventStatus.Published, null)]
    public void Every_EventUpdated_carries_the_limit_as_it_is_now(EventStatus status, int? limit)
    {
        var updated = EventMessages.Updated(Detail(status, limit));

        Assert.Equal((status, limit), (updated.Status, updated.TicketLimit));
    }

    private static string Camel(string key) => char.ToLowerInvariant(key[0]) + key[1..];

    private static EventDetail Detail(EventStatus status, int? limit)
    {
        var venue = Venue();
        return new EventDetail(
            Guid.NewGuid(), "Fado night", "", status, SaleOpensAt.AddDays(30), SaleOpensAt, SaleOpensAt.AddDays(29), "EUR",
            new VenueRef(venue.Id, venue.Name, venue.City, venue.Address), [new TierView(Guid.NewGuid(), "Standing", 30m, ["Floor"])], null, limit, 2);
    }
}
