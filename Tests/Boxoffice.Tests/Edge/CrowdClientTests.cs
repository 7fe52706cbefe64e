using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Npgsql;

namespace Boxoffice.Tests.Edge;

/// <summary>
/// The flash-sale harness's machine client, <c>flash-sale-crowd</c>: it signs in synthetic buyers,
/// each a subject of its own that no account can be, with a buyer's rights and nothing more.
/// </summary>
[Collection<RunningApp>]
public sealed class CrowdClientTests(BoxofficeApp boxoffice)
{
    [Fact]
    public async Task The_crowd_client_signs_in_a_synthetic_buyer_with_a_buyers_rights_only()
    {
        using var response = await TokenAsync("flash-sale-crowd", await boxoffice.ParameterAsync("crowd-client-secret"), "booking", buyer: "b-00042");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var token = new JsonWebToken((await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("access_token").GetString());
        Assert.Equal("flash-sale-crowd:b-00042", token.Subject);
        Assert.Equal(["buyer"], token.Claims.Where(claim => claim.Type == "role").Select(claim => claim.Value));
        Assert.Equal("booking", token.GetClaim("scope").Value);
    }

    [Fact]
    public async Task The_crowd_client_cannot_ask_for_an_organizers_or_staffs_scope()
    {
        using var response = await TokenAsync("flash-sale-crowd", await boxoffice.ParameterAsync("crowd-client-secret"), "booking catalog.write checkin", buyer: "b-1");

        // OpenIddict refuses a scope the client is not permitted as an invalid request.
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal("invalid_request", error.GetProperty("error").GetString());
        Assert.False(error.TryGetProperty("access_token", out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("../admin")]
    [InlineData("b:1")]
    [InlineData("b\u00e9")]
    [InlineData("b0123456789012345678901234567890123456789012345678901234567890123")]
    public async Task A_malformed_buyer_gets_invalid_request(string buyer)
    {
        using var response = await TokenAsync("flash-sale-crowd", await boxoffice.ParameterAsync("crowd-client-secret"), "booking", buyer);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Another_machine_client_cannot_act_for_a_buyer()
    {
        using var response = await TokenAsync(Tokens.BackofficeClient, await boxoffice.ParameterAsync("backoffice-client-secret"), "catalog.write", buyer: "b-1");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task The_crowd_client_with_a_wrong_secret_gets_nothing()
    {
        using var response = await TokenAsync("flash-sale-crowd", "not-the-secret", "booking", buyer: "b-1");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_client", (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_remembered_secret_lets_no_wrong_secret_through()
    {
        // The endpoint remembers a secret that passed its PBKDF2 check (VerifiedClientSecrets);
        // a wrong one sent right after the right one is still checked, and refused.
        var secret = await boxoffice.ParameterAsync("crowd-client-secret");
        using var right = await TokenAsync("flash-sale-crowd", secret, "booking", buyer: "b-remembered");
        using var wrong = await TokenAsync("flash-sale-crowd", secret[..^1], "booking", buyer: "b-remembered");
        using var longer = await TokenAsync("flash-sale-crowd", secret + "x", "booking", buyer: "b-remembered");
        using var again = await TokenAsync("flash-sale-crowd", secret, "booking", buyer: "b-remembered");

        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, longer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task A_machine_clients_access_token_writes_nothing_to_identitydb()
    {
        var buyer = $"b-{Guid.NewGuid():N}"[..20];
        using var response = await TokenAsync("flash-sale-crowd", await boxoffice.ParameterAsync("crowd-client-secret"), "booking", buyer);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // Access tokens are signed JWTs nobody looks up (TokensWithoutRows): no row per token.
        await using var identitydb = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("identitydb"));
        await using var rows = identitydb.CreateCommand("SELECT count(*) FROM \"OpenIddictTokens\" WHERE \"Subject\" = $1");
        rows.Parameters.AddWithValue($"flash-sale-crowd:{buyer}");
        Assert.Equal(0L, await rows.ExecuteScalarAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_replica_looks_its_client_up_once_for_many_tokens()
    {
        // Every token request authenticates its client; a replica remembers the client's record
        // for RememberedClients.Lifetime (10 s), so twenty tokens in a row cost identitydb a
        // lookup per identity replica (two), not one per token. PostgreSQL counts them itself.
        var secret = await boxoffice.ParameterAsync("crowd-client-secret");
        await using var identitydb = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("identitydb"));
        using (var warm = await TokenAsync("flash-sale-crowd", secret, "booking", "b-lookups"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        // Identity's start looked every configured client up already: the statement is counted.
        var before = await ClientLookupsAsync(identitydb);
        Assert.True(before > 0, "pg_stat_statements counted no client lookup at all");
        for (var i = 0; i < 20; i++)
        {
            using var response = await TokenAsync("flash-sale-crowd", secret, "booking", $"b-lookups-{i}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // At most one per replica per 10 s window that the twenty tokens span: well under twenty.
        Assert.InRange(await ClientLookupsAsync(identitydb) - before, 0, 6);
    }

    /// <summary>How often identity looked a client up by its id, as PostgreSQL counted it.</summary>
    private static Task<long> ClientLookupsAsync(NpgsqlDataSource identitydb) =>
        StatementCalls.CountAsync(identitydb, "%FROM \"OpenIddictApplications\" AS o%WHERE o.\"ClientId\" = $1%");

    private async Task<HttpResponseMessage> TokenAsync(string clientId, string secret, string scope, string buyer)
    {
        using var gateway = boxoffice.CreateGatewayClient();
        return await gateway.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = secret,
            ["scope"] = scope,
            ["buyer"] = buyer,
        }), TestContext.Current.CancellationToken);
    }
}
