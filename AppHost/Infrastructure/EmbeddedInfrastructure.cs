using Boxoffice.AppHost;

namespace Boxoffice.AppHost.Infrastructure;

/// <summary>
/// Redis, PostgreSQL and Kafka protocols from local processes, for machines without a container
/// runtime (and CI): Garnet and librdkafka's mock broker as small projects, PostgreSQL from the
/// machine's own server binaries. Each server appears on the dashboard, and its connection
/// resource (named as services know it) turns healthy when a real client gets an answer.
/// </summary>
internal sealed class EmbeddedInfrastructure : Infrastructure
{
    private readonly IDistributedApplicationBuilder _builder;
    private readonly IResourceBuilder<EmbeddedPostgresResource> _postgres;

    private EmbeddedInfrastructure(IDistributedApplicationBuilder builder, IResourceBuilder<EmbeddedPostgresResource> postgres)
    {
        _builder = builder;
        _postgres = postgres;
    }

    public static Infrastructure Add(IDistributedApplicationBuilder builder)
    {
        var dataPath = DataPath(builder);
        var postgresBin = PostgresBinaries.Find(builder.Configuration["Infra:PostgresBin"]);

        var redisPassword = builder.AddGeneratedSecret("redis-password");
        var redisServer = builder.AddProject<Projects.EmbeddedRedis>("redis-server")
            .WithEndpoint(name: "tcp", scheme: "tcp")
            .WithEnvironment("GARNET_PASSWORD", redisPassword);
        var redisEndpoint = redisServer.GetEndpoint("tcp");
        redisServer.WithArgs("--bind", "127.0.0.1", "--port", redisEndpoint.Property(EndpointProperty.TargetPort));
        var redis = builder.AddConnectionString("redis",
                ReferenceExpression.Create($"{redisEndpoint.Property(EndpointProperty.HostAndPort)},password={redisPassword}"))
            .WithRedisHealthCheck();

        var kafkaBroker = builder.AddProject<Projects.EmbeddedKafka>("kafka-broker")
            .WithHttpEndpoint()
            .WithEndpoint(name: "tcp", scheme: "tcp", env: "Broker__KafkaPort")
            .WithHttpHealthCheck("/health");
        var kafkaEndpoint = kafkaBroker.GetEndpoint("tcp");
        var kafka = builder.AddConnectionString("kafka",
                ReferenceExpression.Create($"{kafkaEndpoint.Property(EndpointProperty.HostAndPort)}"))
            .WithKafkaHealthCheck();

        var postgresPassword = builder.AddGeneratedSecret("postgres-password");
        var server = new EmbeddedPostgresResource("postgres", builder.AppHostDirectory, postgresPassword.Resource);
        var postgres = builder.AddResource(server)
            .WithEndpoint(name: "tcp", scheme: "tcp")
            .WithEnvironment("BOXOFFICE_PG_PASSWORD", postgresPassword)
            .WithArgs(context =>
            {
                context.Args.Add(Path.Combine("embedded", "postgres.sh"));
                context.Args.Add(postgresBin);
                context.Args.Add(Path.Combine(dataPath, "postgres"));
                context.Args.Add(server.Endpoint.Property(EndpointProperty.TargetPort));
                foreach (var database in server.Databases)
                {
                    context.Args.Add(database);
                }
            })
            .WithPostgresHealthCheck();

        return new EmbeddedInfrastructure(builder, postgres)
        {
            Mode = InfraMode.Embedded,
            Redis = redis,
            Kafka = kafka,
        };
    }

    /// <summary>
    /// A database with a login of its own, named as the database, which owns it and may connect to
    /// nothing else (AppHost/postgres/database-logins.sh); its password is a generated secret.
    /// </summary>
    public override IResourceBuilder<IResourceWithConnectionString> AddDatabase(string name)
    {
        _postgres.Resource.Databases.Add(name);
        return DatabaseLogins.AddDatabase(_builder, _postgres, _postgres.Resource.Endpoint, name).WithPostgresHealthCheck();
    }
}

/// <summary>
/// The machine's PostgreSQL server, run by <c>embedded/postgres.sh</c>. Its own connection string
/// is the superuser's, for operators and tests; services get their databases' logins.
/// </summary>
internal sealed class EmbeddedPostgresResource(string name, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, "bash", workingDirectory), IResourceWithConnectionString
{
    public EndpointReference Endpoint => field ??= new(this, "tcp");

    /// <summary>Databases created before the server starts, one per service that owns one.</summary>
    public List<string> Databases { get; } = [];

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={Endpoint.Property(EndpointProperty.Host)};Port={Endpoint.Property(EndpointProperty.Port)};Username=postgres;Password={password}");
}

internal static class PostgresBinaries
{
    /// <summary>The folder with initdb and postgres: configured, on PATH, or Debian's /usr/lib/postgresql/N/bin.</summary>
    public static string Find(string? configured)
    {
        // A folder named in configuration is the only one tried: it is what the user asked for.
        var candidates = new List<string>();
        if (!string.IsNullOrEmpty(configured))
        {
            candidates.Add(configured);
        }
        else
        {
            candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
            if (Directory.Exists("/usr/lib/postgresql"))
            {
                candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                    .OrderByDescending(version => int.TryParse(Path.GetFileName(version), out var major) ? major : 0)
                    .Select(version => Path.Combine(version, "bin")));
            }
        }

        foreach (var folder in candidates)
        {
            var initdb = Path.Combine(folder, "initdb");
            var postgres = Path.Combine(folder, "postgres");
            if (File.Exists(initdb) && File.Exists(postgres))
            {
                // A link on PATH (e.g. /usr/local/bin/initdb) resolves to the real bin folder.
                return Path.GetDirectoryName(new FileInfo(initdb).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? initdb)!;
            }
        }

        throw new InfraUnavailableException(string.IsNullOrEmpty(configured)
            ? "The embedded mode needs PostgreSQL server binaries (initdb, postgres) and none were found: install them (apt-get install postgresql), set Infra:PostgresBin to their folder, or start Docker or Podman for the containers mode."
            : $"The embedded mode needs PostgreSQL server binaries (initdb, postgres) and Infra:PostgresBin ('{configured}') has none: point it at the folder that holds them, or leave it unset to search PATH and /usr/lib/postgresql.");
    }
}
