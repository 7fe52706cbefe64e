using Boxoffice.Contracts;
using Boxoffice.Contracts.Booking;
using Boxoffice.Contracts.Catalog;
using Boxoffice.Contracts.WaitingRoom;
using Boxoffice.Postgres;
using Boxoffice.WaitingRoom.BookingEvents;
using Boxoffice.WaitingRoom.CatalogEvents;
using Boxoffice.WaitingRoom.Metering;
using Boxoffice.WaitingRoom.Queues;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Boxoffice.WaitingRoom.Extensions;

internal static class WaitingRoomServiceExtensions
{
    /// <summary>
    /// The waiting room's own database (with its migrations and inbox), the catalog's events, the
    /// signing key, booking's availability, the ticker, and token validation.
    /// </summary>
    public static IHostApplicationBuilder AddWaitingRoomServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<WaitingRoomOptions>().BindConfiguration(WaitingRoomOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddInternalKeyPolicy();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.AddNpgsqlDataSource("waitingroomdb", configureDataSourceBuilder: dataSource =>
        {
            dataSource.ConnectionStringBuilder.MaxPoolSize = builder.Configuration.GetValue("WaitingRoom:MaxDatabaseConnections", 20);
            PooledConnections.Apply(dataSource.ConnectionStringBuilder);
        });
        builder.Services.AddMigrationSeries("waiting-room", typeof(WaitingRoomServiceExtensions).Assembly);

        // Tickets, admissions and challenges are signed with the key the gateway and booking check
        // them with: a missing or short key stops the service at start, not at the first join.
        builder.Services.AddSingleton(new WaitingRoomTokens(builder.Configuration[WaitingRoomTokens.SigningKeySetting] ?? string.Empty));

        // The waiting room publishes nothing; it learns each event's sale and settings from the
        // catalog, and which admitted buyers hold places from booking.
        builder.AddInboxConsumer(Topics.CatalogEvents, "waiting-room-catalog", events => events
            .On<EventPublished, CatalogEventHandler>(from: EventSources.Catalog)
            .On<EventUpdated, CatalogEventHandler>(from: EventSources.Catalog)
            .On<EventCancelled, CatalogEventHandler>(from: EventSources.Catalog));
        // A sale's holds come by the hundred a second: each consumer notes up to HoldsAtOnce at
        // once (one hold's row each; a buyer's two holds meet on one row and wait for each other).
        // One at a time, the queue read them 20 to 30 s late in the calm full-size sale, and kept
        // the places of buyers who had long held as still on their way. Twice that (the retry
        // topic's consumer) stays well under MaxDatabaseConnections.
        builder.AddInboxConsumer(Topics.BookingOrders, "waiting-room-holds", events => events
                .On<HoldCreated, HoldCreatedHandler>(from: EventSources.Booking),
            messagesAtOnce: builder.Configuration.GetValue("WaitingRoom:HoldsAtOnce", 4));
        // Old inbox rows are purged (Messaging:Retention).
        builder.AddMessagingRetention();

        builder.Services.AddSingleton<QueueSnapshots>();
        builder.Services.AddHttpClient(BookingAvailability.ClientName, (services, http) =>
            http.BaseAddress = new Uri(services.GetRequiredService<IOptions<WaitingRoomOptions>>().Value.BookingUrl.TrimEnd('/') + "/"));
        builder.Services.AddSingleton<BookingAvailability>();
        builder.Services.AddHostedService<AdmissionTicker>();

        builder.AddBoxofficeApi();
        return builder;
    }
}
