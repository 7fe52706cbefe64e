using System.Text;
using System.Text.Json;
using Boxoffice.Tests.AppHost;
using Npgsql;

namespace Boxoffice.Tests.Infrastructure;

/// <summary>
/// OWASP API8: each service signs in to PostgreSQL with a login of its own that owns its database
/// and opens no other (docs/adr/0012-database-logins.md): in the embedded server the suite runs, in
/// run mode's PostgreSQL container, and on the managed server a deployment provisions.
/// </summary>
[Collection<RunningApp>]
public sealed class DatabaseLoginTests(BoxofficeApp boxoffice)
{
    private static readonly string[] Databases = ["identitydb", "catalogdb", "bookingdb", "paymentsdb", "waitingroomdb", "providerdb"];

    [Fact]
    public async Task Each_service_signs_in_as_a_login_of_its_own_that_owns_its_database_and_everything_in_it()
    {
        foreach (var database in Databases)
        {
            await using var db = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync(database));
            await using var command = db.CreateCommand(
                """
                SELECT current_user::text, r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls,
                       pg_get_userbyid(d.datdba)::text,
                       (SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'S', 'v')
                          AND c.relowner <> r.oid
                          AND NOT EXISTS (SELECT FROM pg_depend e WHERE e.objid = c.oid AND e.deptype = 'e')),
                       (SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r')
                FROM pg_roles r, pg_database d
                WHERE r.rolname = current_user AND d.datname = current_database()
                """);
            await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
            Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken));

            Assert.Equal(database, reader.GetString(0));
            Assert.False(reader.GetBoolean(1), $"{database}'s login is a superuser");
            Assert.False(reader.GetBoolean(2), $"{database}'s login can create roles");
            Assert.False(reader.GetBoolean(3), $"{database}'s login can create databases");
            Assert.False(reader.GetBoolean(4), $"{database}'s login bypasses row security");
            Assert.Equal(database, reader.GetString(5));
            Assert.Equal(0, reader.GetInt64(6));
            Assert.True(reader.GetInt64(7) > 0, $"{database} has no tables: the service never migrated it with its login");
        }
    }

    [Fact]
    public async Task A_service_login_cannot_open_another_services_database_nor_the_servers_own()
    {
        foreach (var login in Databases)
        {
            foreach (var other in Databases.Where(other => other != login).Append("postgres").Append("template1"))
            {
                var connection = new NpgsqlConnectionStringBuilder(await boxoffice.ConnectionStringAsync(login)) { Database = other, Pooling = false };
                await using var db = NpgsqlDataSource.Create(connection.ConnectionString);

                var refused = await Assert.ThrowsAsync<PostgresException>(async () => await db.OpenConnectionAsync(TestContext.Current.CancellationToken));
                Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
            }
        }
    }

    [Fact]
    public async Task Only_booking_reads_the_ticket_signing_key_and_no_login_reaches_the_servers_files()
    {
        await using var booking = NpgsqlDataSource.Create(await boxoffice.ConnectionStringAsync("bookingdb"));
        await using (var readers = booking.CreateCommand(
            "SELECT array_agg(r.rolname::text ORDER BY r.rolname) FROM pg_roles r WHERE r.rolname = ANY($1) AND has_table_privilege(r.oid, 'ticket_keys', 'SELECT')"))
        {
            readers.Parameters.Add(new() { Value = Databases });
            Assert.Equal(["bookingdb"], (string[])(await readers.ExecuteScalarAsync(TestContext.Current.CancellationToken))!);
        }

        // What a superuser could do from SQL (run programs, read the server's files), booking's login cannot.
        foreach (var sql in new[] { "COPY (SELECT 1) TO PROGRAM 'true'", "SELECT pg_read_file('postgresql.conf')" })
        {
            await using var command = booking.CreateCommand(sql);
            var refused = await Assert.ThrowsAsync<PostgresException>(async () => await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        }
    }

    /// <summary>
    /// The PostgreSQL container's first-start step, as the containers shape carries it, run against this
    /// suite's real server (under database names of its own): each database is created owned by a
    /// login that opens it and nothing else.
    /// </summary>
    [Fact]
    public async Task The_PostgreSQL_container_gives_each_database_a_login_of_its_own_at_first_start()
    {
        // Run mode's containers shape (a deployment takes a managed server), printed by the publisher.
        using var manifest = JsonDocument.Parse((await PublishedManifest.GenerateAsync("--infra", "containers")).ToJsonString());
        var resources = manifest.RootElement.GetProperty("resources");
        var postgres = resources.GetProperty("postgres");
        var published = Databases.Where(database => resources.TryGetProperty(database, out _)).ToArray();
        Assert.Contains("bookingdb", published);
        foreach (var database in published)
        {
            Assert.Equal(
                $"Host={{postgres.bindings.tcp.host}};Port={{postgres.bindings.tcp.port}};Username={database};Password={{{database}-password.value}};Database={database}",
                resources.GetProperty(database).GetProperty("connectionString").GetString());
            Assert.Equal($"{{{database}-password.value}}", postgres.GetProperty("env").GetProperty($"BOXOFFICE_PG_LOGIN_{database.ToUpperInvariant()}").GetString());
        }

        // bash -c "echo <base64> | base64 -d > /docker-entrypoint-initdb.d/... && exec docker-entrypoint.sh postgres"
        Assert.Equal("bash", postgres.GetProperty("entrypoint").GetString());
        var command = postgres.GetProperty("args")[1].GetString()!.Split(' ');
        Assert.Equal(["echo", "|", "base64", "-d", ">"], [command[0], command[2], command[3], command[4], command[5]]);
        Assert.StartsWith("/docker-entrypoint-initdb.d/", command[6]);
        Assert.Equal("exec docker-entrypoint.sh postgres", string.Join(' ', command[^3..]));
        var script = Encoding.UTF8.GetString(Convert.FromBase64String(command[1]));

        // The same step for databases of this test's own, with the image's docker_process_sql
        // replaced by one that hands the SQL to this test, which runs it as the superuser.
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var names = published.ToDictionary(database => database, database => $"{database}_{suffix}");
        var list = $"for database in {string.Join(' ', published)}; do";
        Assert.Contains(list, script);
        script = script.Replace(list, $"for database in {string.Join(' ', names.Values)}; do", StringComparison.Ordinal);
        var passwords = names.Values.ToDictionary(name => name, _ => $"pw'{Guid.NewGuid():N}");
        var environment = passwords.ToDictionary(login => $"BOXOFFICE_PG_LOGIN_{login.Key.ToUpperInvariant()}", login => login.Value);
        var run = await ProcessRunner.RunAsync("bash", ["-c", "docker_process_sql() { cat; }\n" + script], Repository.Root, environment, TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.True(run.ExitCode == 0, run.Error);

        var superuser = new NpgsqlConnectionStringBuilder(await boxoffice.ConnectionStringAsync("postgres")) { Database = "postgres", Pooling = false };
        await using var server = NpgsqlDataSource.Create(superuser.ConnectionString);
        try
        {
            foreach (var statement in run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                await using var sql = server.CreateCommand(statement);
                await sql.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
            }

            var (first, second) = (names.Values.First(), names.Values.Last());
            var own = new NpgsqlConnectionStringBuilder(superuser.ConnectionString) { Username = first, Password = passwords[first], Database = first };
            await using (var db = NpgsqlDataSource.Create(own.ConnectionString))
            await using (var create = db.CreateCommand("CREATE TABLE things (id int); SELECT pg_get_userbyid(relowner)::text FROM pg_class WHERE relname = 'things'"))
            {
                Assert.Equal(first, await create.ExecuteScalarAsync(TestContext.Current.CancellationToken));
            }

            own.Database = second;
            await using (var db = NpgsqlDataSource.Create(own.ConnectionString))
            {
                var refused = await Assert.ThrowsAsync<PostgresException>(async () => await db.OpenConnectionAsync(TestContext.Current.CancellationToken));
                Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
            }
        }
        finally
        {
            foreach (var name in names.Values)
            {
                foreach (var statement in new[] { $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", $"DROP ROLE IF EXISTS \"{name}\"" })
                {
                    await using var drop = server.CreateCommand(statement);
                    await drop.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
                }
            }
        }
    }

    /// <summary>
    /// The deployment's database-logins job (infra/resources.bicep runs these two scripts in the
    /// postgres image) as Azure Database for PostgreSQL's administrator runs it: a login that may
    /// create roles and databases but is no superuser. Against this suite's real server, under
    /// names of its own; run twice, as every provision runs it, the second time with new passwords.
    /// </summary>
    [Fact]
    public async Task The_deployment_s_job_gives_each_database_a_login_of_its_own_as_an_administrator_that_is_no_superuser()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (admin, adminPassword) = ($"admin_{suffix}", Guid.NewGuid().ToString("N"));
        string[] databases = [$"first_{suffix}", $"second_{suffix}"];
        var superuser = new NpgsqlConnectionStringBuilder(await boxoffice.ConnectionStringAsync("postgres")) { Database = "postgres", Pooling = false };
        await using var server = NpgsqlDataSource.Create(superuser.ConnectionString);
        async Task ExecuteAsync(NpgsqlDataSource source, string sql)
        {
            await using var command = source.CreateCommand(sql);
            await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        async Task<ProcessResult> RunJobAsync(IReadOnlyDictionary<string, string> passwords)
        {
            var environment = new Dictionary<string, string>
            {
                ["PGHOST"] = superuser.Host!,
                ["PGPORT"] = superuser.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["PGUSER"] = admin,
                ["PGPASSWORD"] = adminPassword,
                // Azure's is "postgres"; this server's own databases take only its superuser.
                ["PGDATABASE"] = databases[0],
                ["BOXOFFICE_DATABASES"] = string.Join(' ', databases),
            };
            foreach (var (database, password) in passwords)
            {
                environment[$"BOXOFFICE_PG_LOGIN_{database.ToUpperInvariant()}"] = password;
            }

            return await ProcessRunner.RunAsync(
                "bash", ["-c", ". AppHost/postgres/database-logins.sh && . infra/database-logins/job.sh"], Repository.Root, environment, TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        }

        NpgsqlDataSource SignIn(string login, string password, string database) =>
            NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(superuser.ConnectionString) { Username = login, Password = password, Database = database }.ConnectionString);

        try
        {
            // What the Bicep makes before the job runs: the administrator and the empty databases it owns.
            await ExecuteAsync(server, $"CREATE ROLE \"{admin}\" LOGIN CREATEROLE CREATEDB PASSWORD '{adminPassword}'");
            foreach (var database in databases)
            {
                await ExecuteAsync(server, $"CREATE DATABASE \"{database}\" OWNER \"{admin}\"");
            }

            var passwords = databases.ToDictionary(database => database, _ => $"pw'{Guid.NewGuid():N}");
            var run = await RunJobAsync(passwords);
            Assert.True(run.ExitCode == 0, run.Output + run.Error);
            Assert.Contains($"database logins ready: {string.Join(' ', databases)}", run.Output, StringComparison.Ordinal);

            foreach (var database in databases)
            {
                await using var own = SignIn(database, passwords[database], database);
                await using var command = own.CreateCommand(
                    "CREATE TABLE things (id int); SELECT pg_get_userbyid(d.datdba)::text, r.rolsuper, r.rolcreaterole, r.rolcreatedb FROM pg_database d, pg_roles r WHERE d.datname = current_database() AND r.rolname = current_user");
                await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
                Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken));
                Assert.Equal(database, reader.GetString(0));
                Assert.Equal([false, false, false], new[] { reader.GetBoolean(1), reader.GetBoolean(2), reader.GetBoolean(3) });

                foreach (var other in databases.Where(other => other != database))
                {
                    await using var elsewhere = SignIn(database, passwords[database], other);
                    var refused = await Assert.ThrowsAsync<PostgresException>(async () => await elsewhere.OpenConnectionAsync(TestContext.Current.CancellationToken));
                    Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
                }
            }

            // The next provision: the logins exist, their passwords change.
            var rolled = databases.ToDictionary(database => database, _ => Guid.NewGuid().ToString("N"));
            run = await RunJobAsync(rolled);
            Assert.True(run.ExitCode == 0, run.Output + run.Error);
            await using (var renewed = SignIn(databases[1], rolled[databases[1]], databases[1]))
            await using (var connection = await renewed.OpenConnectionAsync(TestContext.Current.CancellationToken))
            {
                Assert.Equal(System.Data.ConnectionState.Open, connection.State);
            }

            await using var stale = SignIn(databases[1], passwords[databases[1]], databases[1]);
            var wrongPassword = await Assert.ThrowsAsync<PostgresException>(async () => await stale.OpenConnectionAsync(TestContext.Current.CancellationToken));
            Assert.Equal(PostgresErrorCodes.InvalidPassword, wrongPassword.SqlState);
        }
        finally
        {
            foreach (var statement in databases.Select(database => $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)")
                .Concat(databases.Append(admin).Select(role => $"DROP ROLE IF EXISTS \"{role}\"")))
            {
                await ExecuteAsync(server, statement);
            }
        }
    }
}
