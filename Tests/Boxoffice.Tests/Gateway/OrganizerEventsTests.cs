using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Boxoffice.Tests.Edge;
using Npgsql;

namespace Boxoffice.Tests.Gateway;

/// <summary>An organizer sees their own events and never another organizer's (object-level authorization).</summary>
[Collection<RunningApp>]
public sealed class OrganizerEventsTests(BoxofficeApp boxoffice)
{
    [Fact]
    public async Task Each_organizer_lists_only_their_own_events()
    {
        var alice = $"organizer-{Guid.NewGuid():N}";
        var bob = $"organizer-{Guid.NewGuid():N}";
        var alicesEvent = $"Alice's draft {Guid.NewGuid():N}";
        await using (var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("catalogdb")))
        {
            await using var insert = db.CreateCommand(
                "INSERT INTO events (id, name, city, starts_at, status, organizer_id) VALUES ($1, $2, 'Porto', now() + interval '60 days', 'draft', $3)");
            insert.Parameters.AddWithValue(Guid.NewGuid());
            insert.Parameters.AddWithValue(alicesEvent);
            insert.Parameters.AddWithValue(alice);
            await insert.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var key = await Tokens.SigningKeyAsync(boxoffice);
        var issuer = await Tokens.IssuerAsync(boxoffice);

        var asAlice = await ListAsync(Tokens.Mint(key, issuer, alice, "catalog.write", ["organizer"]));
        var asBob = await ListAsync(Tokens.Mint(key, issuer, bob, "catalog.write", ["organizer"]));

        Assert.Contains(asAlice, name => name == alicesEvent);
        Assert.Empty(asBob);
    }

    private async Task<List<string?>> ListAsync(string token)
    {
        using var gateway = boxoffice.CreateGatewayClient();
        using var response = await gateway.SendAsync(Tokens.Get("/api/catalog/organizer/events", token), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        return [.. events.EnumerateArray().Select(item => item.GetProperty("name").GetString())];
    }
}
