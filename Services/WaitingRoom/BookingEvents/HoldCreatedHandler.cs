using Boxoffice.Contracts.Booking;
using Boxoffice.Messaging;
using Boxoffice.Messaging.Inbox;
using Boxoffice.Postgres;
using Boxoffice.WaitingRoom.Queues;
using Npgsql;

namespace Boxoffice.WaitingRoom.BookingEvents;

/// <summary>
/// Notes each hold an admitted buyer takes (booking's HoldCreated) on the buyer's place: from then
/// on the admission no longer counts as a buyer on the way to a hold, and the places it took tell
/// the ticker how many the next buyers will take (docs/adr/0010-waiting-room.md). A hold by a
/// buyer with no place (an event without a waiting room) changes nothing.
/// </summary>
/// <remarks>
/// Two times are kept: when booking took the hold (the event's <c>time</c>; a time ahead of this
/// service's clock counts as now), for the claim-to-hold times that set how long a claim counts
/// as on its way, so they are the buyers' own and not the buyers' plus however far this consumer
/// is behind in a busy sale; and when the queue saw it, on its own clock, against which it judges
/// whether booking's count of the places left may be missing the hold.
/// </remarks>
internal sealed class HoldCreatedHandler(TimeProvider time) : IIntegrationEventHandler<HoldCreated>
{
    public async Task HandleAsync(CloudEvent<HoldCreated> message, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var hold = message.Data;
        var now = time.Now();
        await PlaceStore.MarkHeldAsync(transaction, hold.EventId, hold.BuyerId, hold.Units, message.Time < now ? message.Time : now, now, cancellationToken);
    }
}
