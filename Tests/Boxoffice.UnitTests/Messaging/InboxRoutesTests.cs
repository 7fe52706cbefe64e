using Boxoffice.Contracts;
using Boxoffice.Contracts.Payments;
using Boxoffice.Messaging;
using Boxoffice.Messaging.Inbox;
using Npgsql;

namespace Boxoffice.UnitTests.Messaging;

/// <summary><see cref="InboxRoutes.On{TEvent, THandler}"/>: every route names the one producer it trusts.</summary>
public sealed class InboxRoutesTests
{
    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    public void A_route_without_a_source_is_refused_at_registration(string source)
    {
        Assert.Throws<ArgumentException>(() => new InboxRoutes().On<PaymentFailed, Handler>(from: source));
    }

    [Fact]
    public void A_route_with_a_null_source_is_refused_at_registration()
    {
        Assert.Throws<ArgumentNullException>(() => new InboxRoutes().On<PaymentFailed, Handler>(from: null!));
    }

    [Fact]
    public void One_event_type_has_one_route_and_so_one_trusted_source()
    {
        var routes = new InboxRoutes().On<PaymentFailed, Handler>(from: EventSources.Payments);

        Assert.Throws<ArgumentException>(() => routes.On<PaymentFailed, Handler>(from: EventSources.Booking));
    }

    private sealed class Handler : IIntegrationEventHandler<PaymentFailed>
    {
        public Task HandleAsync(CloudEvent<PaymentFailed> message, NpgsqlTransaction transaction, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
