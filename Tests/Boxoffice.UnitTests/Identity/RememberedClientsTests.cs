using Boxoffice.Identity.Connect;
using OpenIddict.EntityFrameworkCore.Models;

namespace Boxoffice.UnitTests.Identity;

/// <summary>A replica remembers a client's record for a short while, by its exact id, and never grows past its capacity.</summary>
public sealed class RememberedClientsTests
{
    [Fact]
    public void A_client_is_remembered_by_its_exact_id_until_its_lifetime_ends()
    {
        var clock = new Clock();
        var clients = new RememberedClients(clock);
        var client = new OpenIddictEntityFrameworkCoreApplication { ClientId = "storefront" };
        clients.Add("storefront", client);

        Assert.True(clients.TryGet("storefront", out var found));
        Assert.Same(client, found);
        Assert.False(clients.TryGet("Storefront", out _));
        clock.Now += RememberedClients.Lifetime - TimeSpan.FromMilliseconds(1);
        Assert.True(clients.TryGet("storefront", out _));
        clock.Now += TimeSpan.FromMilliseconds(1);
        Assert.False(clients.TryGet("storefront", out _));
    }

    [Fact]
    public void Past_its_capacity_it_remembers_nothing_new_until_entries_expire()
    {
        var clock = new Clock();
        var clients = new RememberedClients(clock);
        for (var i = 0; i < RememberedClients.Capacity; i++)
        {
            clients.Add($"client-{i}", new OpenIddictEntityFrameworkCoreApplication());
        }

        clients.Add("one-more", new OpenIddictEntityFrameworkCoreApplication());
        Assert.False(clients.TryGet("one-more", out _));

        clock.Now += RememberedClients.Lifetime;
        clients.Add("one-more", new OpenIddictEntityFrameworkCoreApplication());
        Assert.True(clients.TryGet("one-more", out _));
    }

    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
