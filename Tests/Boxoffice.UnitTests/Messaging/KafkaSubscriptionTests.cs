using Boxoffice.Messaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Boxoffice.UnitTests.Messaging;

/// <summary>
/// How many consumer clients a subscription runs in a process: what the inbox's connection check
/// counts (<see cref="KafkaSubscription.ClientsFor"/>) is what AddKafkaSubscription starts.
/// </summary>
public sealed class KafkaSubscriptionTests
{
    [Theory]
    [InlineData(true, 1, 2)]
    [InlineData(true, 3, 6)]
    [InlineData(false, 3, 3)]
    public void A_subscription_starts_the_consumer_clients_it_counts(bool retryTopic, int consumers, int clients)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration["ConnectionStrings:kafka"] = "localhost:9092";
        var subscription = new KafkaSubscription("booking.orders", "payments", _ => throw new InvalidOperationException("Never built here."), UseRetryTopic: retryTopic);
        // The producer a subscription needs (for its retries and dead letters) registers the Kafka health
        // check, and with it the health checks' publisher, a hosted service too.
        builder.AddKafkaProducer();
        var before = HostedServices(builder);

        builder.AddKafkaSubscription(subscription, consumers: consumers);

        Assert.Equal(clients, subscription.ClientsFor(consumers));
        Assert.Equal(clients, HostedServices(builder) - before);
    }

    private static int HostedServices(HostApplicationBuilder builder) => builder.Services.Count(service => service.ServiceType == typeof(IHostedService));
}
