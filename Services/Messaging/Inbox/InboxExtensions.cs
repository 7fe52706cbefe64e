using Boxoffice.Messaging;
using Boxoffice.Messaging.Inbox;
using Boxoffice.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace Microsoft.Extensions.Hosting;

public static class InboxExtensions
{
    /// <summary>
    /// Consumes <paramref name="topic"/> as <paramref name="consumer"/> (the group id and the
    /// inbox's consumer name) through the inbox on the service's <c>NpgsqlDataSource</c>: each
    /// event handled at most once and only from the source its route trusts (others are
    /// dead-lettered unhandled), failures retried on the retry topic with growing pauses, and
    /// dead-lettered after <paramref name="maxAttempts"/>. <paramref name="consumers"/> consumers
    /// share the partitions, and each handles up to <paramref name="messagesAtOnce"/> events of
    /// different keys at once (<see cref="KafkaSubscription.MessagesAtOnce"/>). The service does not
    /// start when its inbox consumers together could hold every connection of its pool
    /// (<see cref="InboxConnectionCheck"/>).
    /// </summary>
    public static IHostApplicationBuilder AddInboxConsumer(
        this IHostApplicationBuilder builder, string topic, string consumer, Action<InboxRoutes> routes, int maxAttempts = 5, int consumers = 1,
        int messagesAtOnce = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(messagesAtOnce, 1);
        var table = new InboxRoutes();
        routes(table);
        foreach (var handlerType in table.HandlerTypes)
        {
            builder.Services.TryAddScoped(handlerType);
        }

        if (!builder.Services.Any(service => service.ServiceType == typeof(MigrationSeries) && service.ImplementationInstance is MigrationSeries { Name: "inbox" }))
        {
            builder.Services.AddMigrationSeries("inbox", typeof(InboxDispatcher).Assembly, "inbox-migrations/");
        }

        var subscription = new KafkaSubscription(topic, consumer,
            services => new InboxDispatcher(consumer, table, services.GetRequiredService<NpgsqlDataSource>(), services),
            maxAttempts, UseRetryTopic: true, MessagesAtOnce: messagesAtOnce);
        // Checked at start, before any consumer starts: together they must leave the pool room.
        builder.Services.AddSingleton(new InboxConnectionDemand(consumer, subscription.ClientsFor(consumers), messagesAtOnce));
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, InboxConnectionCheck>());

        return builder.AddKafkaSubscription(subscription, consumers: consumers);
    }
}
