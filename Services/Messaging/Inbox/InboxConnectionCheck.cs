using System.Globalization;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Boxoffice.Messaging.Inbox;

/// <summary>
/// The database connections one inbox subscription's consumers can hold at once: each message in
/// hand holds one for its transaction, on the topic and on its retry topic alike.
/// <paramref name="Clients"/> counts the consumer clients the subscription runs, retry topic's
/// included (<see cref="KafkaSubscription.ClientsFor"/>).
/// </summary>
internal sealed record InboxConnectionDemand(string Consumer, int Clients, int MessagesAtOnce)
{
    public int Connections => Clients * MessagesAtOnce;
}

/// <summary>
/// Stops the service at start when its inbox consumers could hold every connection of its
/// database pool at once: the outbox relay, the sweepers and the requests would then wait for a
/// connection whenever the consumers are busy (a sale's burst of events), and give up after the
/// pool's timeout. Better a clear refusal to start than that stall under load. At least one
/// connection must be left over; how many more a service needs is its own README's rule.
/// </summary>
internal sealed class InboxConnectionCheck(NpgsqlDataSource db, IEnumerable<InboxConnectionDemand> demands) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var pool = new NpgsqlConnectionStringBuilder(db.ConnectionString).MaxPoolSize;
        var all = demands.ToList();
        var held = all.Sum(demand => demand.Connections);
        if (held >= pool)
        {
            var each = string.Join(", ", all.Select(demand => string.Create(CultureInfo.InvariantCulture,
                $"{demand.Consumer}: {demand.Clients} consumer client(s) × {demand.MessagesAtOnce} at once = {demand.Connections}")));
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"The inbox consumers can hold {held} database connections at once ({each}; the retry topic's consumers included), but the pool has {pool}. Raise the service's MaxDatabaseConnections above {held}, or lower its consumers or messages at once."));
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
