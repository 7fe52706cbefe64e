using Npgsql;
using StackExchange.Redis;

namespace Boxoffice.Tests.Infrastructure;

/// <summary>The embedded servers answer the real client libraries the services use, with the secrets the AppHost set.</summary>
[Collection<RunningApp>]
public sealed class InfrastructureClientTests(BoxofficeApp boxoffice)
{
    [Fact]
    public async Task Redis_stores_counts_and_runs_Lua_scripts()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await boxoffice.ConnectionStringAsync("redis"));
        var db = redis.GetDatabase();
        var key = $"tests:{Guid.NewGuid():N}";

        Assert.True(await db.StringSetAsync(key, "seat-1", TimeSpan.FromMinutes(1)));
        Assert.Equal("seat-1", (string?)await db.StringGetAsync(key));
        Assert.Equal(1, await db.StringIncrementAsync(key + ":count"));
        Assert.Equal(2, (long)await db.ScriptEvaluateAsync("return redis.call('INCR', KEYS[1])", [(RedisKey)(key + ":count")]));
    }

    [Fact]
    public async Task Redis_runs_each_script_atomically_when_many_race_on_one_key()
    {
        // The gateway's token bucket and identity's throttles read a key, decide and write it back
        // in one script; two scripts on the same key must not interleave, or a token is spent twice.
        // This script reads a count and writes back one more: any interleaving loses a count, and two
        // scripts see the same one.
        const string ReadThenWrite = """
            local count = tonumber(redis.call('GET', KEYS[1]) or '0')
            redis.call('SET', KEYS[1], count + 1)
            return count
            """;
        const int Connections = 8;
        const int ScriptsEach = 500;
        var connectionString = await boxoffice.ConnectionStringAsync("redis");
        var clients = await Task.WhenAll(Enumerable.Range(0, Connections).Select(_ => ConnectionMultiplexer.ConnectAsync(connectionString)));
        try
        {
            var key = (RedisKey)$"tests:{Guid.NewGuid():N}";
            var seen = await Task.WhenAll(clients.SelectMany(client => Enumerable.Range(0, ScriptsEach)
                .Select(async _ => (long)await client.GetDatabase().ScriptEvaluateAsync(ReadThenWrite, [key]))));

            Assert.Equal(Connections * ScriptsEach, (long)await clients[0].GetDatabase().StringGetAsync(key));
            Assert.Equal(Connections * ScriptsEach, seen.Distinct().Count());
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Redis_refuses_a_client_without_the_password()
    {
        var options = ConfigurationOptions.Parse(await boxoffice.ConnectionStringAsync("redis"));
        options.Password = "not-the-password";
        options.AbortOnConnectFail = true;
        options.ConnectTimeout = 3000;

        await Assert.ThrowsAnyAsync<RedisConnectionException>(() => ConnectionMultiplexer.ConnectAsync(options));
    }

    [Fact]
    public async Task Each_service_database_is_its_own_PostgreSQL_database()
    {
        await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("catalogdb"));
        await using var command = db.CreateCommand("SELECT current_database(), current_setting('server_version_num')::int");
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);

        Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken));
        Assert.Equal("catalogdb", reader.GetString(0));
        Assert.True(reader.GetInt32(1) >= 140000, "PostgreSQL 14 or newer");
    }

    [Fact]
    public async Task PostgreSQL_refuses_a_wrong_password()
    {
        var connection = new NpgsqlConnectionStringBuilder(await boxoffice.ConnectionStringAsync("catalogdb")) { Password = "not-the-password", Pooling = false };
        await using var db = NpgsqlDataSource.Create(connection.ConnectionString);

        var refused = await Assert.ThrowsAsync<PostgresException>(async () => await db.OpenConnectionAsync(TestContext.Current.CancellationToken));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, refused.SqlState);
    }
}
