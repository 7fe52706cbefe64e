using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Npgsql;

namespace Boxoffice.Tests.Edge;

/// <summary>
/// The identity server's signing key rolls over during a run: the next key is published in the
/// JWKS before it signs, and tokens the old key signed stay valid after the new one has taken over.
/// </summary>
[Collection<RunningApp>]
public sealed class SigningKeyRolloverTests(BoxofficeApp boxoffice)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_due_key_is_followed_by_one_published_before_it_signs_and_tokens_of_the_old_key_stay_valid()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var gateway = boxoffice.CreateGatewayClient();
        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("identitydb"));
        var before = await Tokens.ClientCredentialsAsync(boxoffice, "catalog.read catalog.write");
        var oldKey = new JsonWebToken(before).Kid;
        Assert.Contains(oldKey, await PublishedAsync(gateway));
        var activation = await ScalarAsync<DateTimeOffset?>(db, """SELECT "ActivatesAt" FROM signing_keys WHERE "Id" = $1""", oldKey);
        try
        {
            // As if the key had signed for longer than its lifetime (90 days): rollover is due.
            await ExecuteAsync(db, """UPDATE signing_keys SET "ActivatesAt" = now() - interval '400 days' WHERE "Id" = $1""", oldKey);

            // Published first: the next key is in the JWKS beside the old one, which still signs.
            var newKey = await UntilAsync(async () => (await PublishedAsync(gateway)).FirstOrDefault(id => id != oldKey), "the next key in the JWKS");
            var signsFrom = await ScalarAsync<DateTimeOffset>(db, """SELECT "ActivatesAt" FROM signing_keys WHERE "Id" = $1""", newKey);
            var madeAt = await ScalarAsync<DateTimeOffset>(db, """SELECT "CreatedAt" FROM signing_keys WHERE "Id" = $1""", newKey);
            Assert.InRange(signsFrom - madeAt, BoxofficeApp.SigningKeyPublicationLead - TimeSpan.FromSeconds(1), BoxofficeApp.SigningKeyPublicationLead + TimeSpan.FromSeconds(1));
            Assert.Contains(oldKey, await PublishedAsync(gateway));

            // Then it signs, and the old key stays published.
            var after = await UntilAsync(async () =>
            {
                var token = await Tokens.ClientCredentialsAsync(boxoffice, "catalog.read catalog.write");
                return new JsonWebToken(token).Kid == newKey ? token : null;
            }, "a token signed with the next key");
            Assert.True(DateTimeOffset.UtcNow >= signsFrom - TimeSpan.FromSeconds(1), "A token was signed with the next key before its time.");
            Assert.Contains(oldKey, await PublishedAsync(gateway));

            // Both are accepted through the gateway by the catalog. A validator that has not seen the
            // new key yet fetches the JWKS again when it meets its id (at most every 30 s).
            await UntilAsync(async () => await OrganizerListAsync(gateway, after) == HttpStatusCode.OK ? "ok" : null, "the new key's token accepted");
            Assert.Equal(HttpStatusCode.OK, await OrganizerListAsync(gateway, before));
        }
        finally
        {
            // Back to the one key the rest of the suite mints its tokens with.
            await ExecuteAsync(db, """DELETE FROM signing_keys WHERE "Purpose" = 'signing' AND "Id" <> $1""", oldKey);
            await ExecuteAsync(db, """UPDATE signing_keys SET "ActivatesAt" = $2 WHERE "Id" = $1""", oldKey, (object?)activation ?? DBNull.Value);
            await UntilAsync(async () => (await PublishedAsync(gateway)).SequenceEqual([oldKey]) ? "one key" : null, "the JWKS back to the old key alone");
            // Six in a row from the old key: both identity replicas have gone back to it.
            var signed = 0;
            await UntilAsync(async () =>
            {
                signed = new JsonWebToken(await Tokens.ClientCredentialsAsync(boxoffice, "catalog.read")).Kid == oldKey ? signed + 1 : 0;
                return signed >= 6 ? "back" : null;
            }, "tokens signed with the old key again");
        }
    }

    private static async Task<List<string>> PublishedAsync(HttpClient gateway)
    {
        // Twice: the two identity replicas answer in turn, and each must publish what is checked.
        var first = await JwksAsync(gateway);
        var second = await JwksAsync(gateway);
        return [.. first.Intersect(second)];
    }

    private static async Task<IEnumerable<string>> JwksAsync(HttpClient gateway)
    {
        using var fresh = new HttpClient { BaseAddress = gateway.BaseAddress };
        var jwks = await fresh.GetFromJsonAsync<JsonElement>("/.well-known/jwks", TestContext.Current.CancellationToken);
        return [.. jwks.GetProperty("keys").EnumerateArray().Select(key => key.GetProperty("kid").GetString()!)];
    }

    private static async Task<HttpStatusCode> OrganizerListAsync(HttpClient gateway, string token)
    {
        using var response = await gateway.SendAsync(Tokens.Get("/api/catalog/organizer/events", token), TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    private static async Task<T> UntilAsync<T>(Func<Task<T?>> attempt, string what)
        where T : class
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            if (await attempt() is { } done)
            {
                return done;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Waited {Patience.TotalSeconds:F0} s for {what}.");
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource db, string sql, params object[] parameters)
    {
        await using var command = db.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new() { Value = parameter });
        }

        var value = await command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
        return value is DBNull or null ? default! : (T)(object)(value is DateTime at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : value);
    }

    private static async Task ExecuteAsync(NpgsqlDataSource db, string sql, params object[] parameters)
    {
        await using var command = db.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new() { Value = parameter });
        }

        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }
}
