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
internal sealed class HoldCreatedHandler(TimeProvider time) : IIntegrationEventHandler<HoldCreated>
{
    public async Task HandleAsync(CloudEvent<HoldCreated> message, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var hold = message.Data;
        await PlaceStore.MarkHeldAsync(transaction, hold.EventId, hold.BuyerId, hold.Units, time.Now(), cancellationToken);
    }
}
