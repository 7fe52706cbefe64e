using Boxoffice.Messaging.Inbox;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Boxoffice.UnitTests.Messaging;

/// <summary>
/// A service whose inbox consumers could hold every connection of its pool at once does not
/// start, and says which consumers take how many. The data sources here are never opened.
/// </summary>
public sealed class InboxConnectionCheckTests
{
    [Fact]
    public async Task Consumers_that_could_take_the_whole_pool_stop_the_start_and_are_named()
    {
        await using var db = Pool(18);
        var check = new InboxConnectionCheck(db, [new("booking-catalog", 2, 1), new("booking-payments", 4, 4)]);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => check.StartAsync(TestContext.Current.CancellationToken));

        Assert.Equal(
            "The inbox consumers can hold 18 database connections at once (booking-catalog: 2 consumer client(s) × 1 at once = 2, booking-payments: 4 consumer client(s) × 4 at once = 16; "
            + "the retry topic's consumers included), but the pool has 18. Raise the service's MaxDatabaseConnections above 18, or lower its consumers or messages at once.",
            refused.Message);
    }

    [Fact]
    public async Task Consumers_that_leave_a_connection_over_start()
    {
        await using var db = Pool(19);
        var check = new InboxConnectionCheck(db, [new("booking-catalog", 2, 1), new("booking-payments", 4, 4)]);

        await check.StartAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public void Every_inbox_consumer_is_counted_by_one_check()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration["ConnectionStrings:kafka"] = "localhost:9092";
        builder.AddInboxConsumer("catalog.events", "waiting-room-catalog", _ => { });
        builder.AddInboxConsumer("booking.orders", "waiting-room-holds", _ => { }, consumers: 3, messagesAtOnce: 5);

        Assert.Single(builder.Services, service => service.ServiceType == typeof(IHostedService) && service.ImplementationType == typeof(InboxConnectionCheck));
        var demands = builder.Services.Where(service => service.ServiceType == typeof(InboxConnectionDemand)).Select(service => (InboxConnectionDemand)service.ImplementationInstance!).ToList();
        Assert.Equal([2, 30], demands.Select(demand => demand.Connections));
    }

    /// <summary>A data source as the services build theirs: the pool's size set on its builder.</summary>
    private static NpgsqlDataSource Pool(int size)
    {
        var builder = new NpgsqlDataSourceBuilder("Host=nowhere");
        builder.ConnectionStringBuilder.MaxPoolSize = size;
        return builder.Build();
    }
}
