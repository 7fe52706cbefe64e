using Boxoffice.Booking.CatalogEvents;
using Boxoffice.Booking.Inventory;
using Boxoffice.Booking.Orders;
using Boxoffice.Booking.Tickets;
using Boxoffice.Contracts;
using Boxoffice.Contracts.Catalog;
using Boxoffice.Contracts.Payments;
using Boxoffice.Contracts.WaitingRoom;
using Boxoffice.Postgres;

namespace Boxoffice.Booking.Extensions;

internal static class BookingServiceExtensions
{
    /// <summary>
    /// Booking's own database (with its migrations, outbox and inbox), Redis for the public
    /// availability counts, the catalog's and payments' events, the sweeper, and token validation.
    /// </summary>
    public static IHostApplicationBuilder AddBookingServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<BookingOptions>().BindConfiguration("Booking").ValidateDataAnnotations().ValidateOnStart();
        // A few connections per core is what PostgreSQL can use; more would only queue inside it,
        // and several replicas must stay under the server's max_connections.
        builder.AddNpgsqlDataSource("bookingdb", configureDataSourceBuilder: dataSource =>
        {
            dataSource.ConnectionStringBuilder.MaxPoolSize = builder.Configuration.GetValue("Booking:MaxDatabaseConnections", 30);
            PooledConnections.Apply(dataSource.ConnectionStringBuilder);
        });
        builder.Services.AddMigrationSeries("booking", typeof(BookingServiceExtensions).Assembly);
        builder.AddOutbox(EventSources.Booking);

        // Redis only speeds up public counts: its absence must not make booking unready, nor slow.
        builder.AddBoxofficeRedis();
        builder.Services.AddSingleton<AvailabilityCache>();

        builder.AddInboxConsumer(Topics.CatalogEvents, "booking-catalog", events => events
            .On<EventPublished, CatalogEventHandler>(from: EventSources.Catalog)
            .On<EventUpdated, CatalogEventHandler>(from: EventSources.Catalog)
            .On<EventCancelled, CatalogEventHandler>(from: EventSources.Catalog));
        builder.AddInboxConsumer(Topics.Payments, "booking-payments", events => events
                .On<PaymentSucceeded, PaymentResultHandler>(from: EventSources.Payments)
                .On<PaymentFailed, PaymentResultHandler>(from: EventSources.Payments)
                .On<PaymentRefunded, PaymentResultHandler>(from: EventSources.Payments),
            consumers: builder.Configuration.GetValue("Booking:PaymentConsumers", 2),
            // Several orders' results at once: a sale's orders arrive in a burst, and one at a time
            // each consumer spent most of a result's time waiting on its own round trips.
            messagesAtOnce: builder.Configuration.GetValue("Booking:PaymentResultsAtOnce", 4));

        // Checks the waiting room's admissions on holds and orders; the key is the secret shared with
        // the gateway and the waiting room (docs/adr/0010-waiting-room.md). Missing, booking does not start.
        builder.Services.AddSingleton(new WaitingRoomTokens(builder.Configuration[WaitingRoomTokens.SigningKeySetting] ?? string.Empty));
        builder.Services.AddSingleton<TicketSigner>();
        builder.Services.AddSingleton<OrderFulfilment>();
        builder.Services.AddHostedService<ExpirySweeper>();
        builder.Services.AddHostedService<SaleCounter>();
        // Old idempotency keys and ended holds go with the outbox's and inbox's purge (Messaging:Retention:Interval).
        builder.Services.AddOptions<BookingRetentionOptions>().BindConfiguration(BookingRetentionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddRetentionRule<IdempotencyKeysRetention>();
        builder.Services.AddRetentionRule<EndedHoldsRetention>();

        builder.AddBoxofficeApi();
        // Here, not in AddBoxofficeApi: the validation generator sees only this project's request types.
        builder.Services.AddValidation();
        return builder;
    }
}
