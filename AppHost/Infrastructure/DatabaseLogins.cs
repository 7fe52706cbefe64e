namespace Boxoffice.AppHost.Infrastructure;

/// <summary>
/// Each service's database has a login of its own, named as the database, that owns it and may
/// connect to nothing else: <c>AppHost/postgres/database-logins.sh</c> makes them, for the
/// embedded server at every start and for the PostgreSQL container at its first.
/// docs/adr/0012-database-logins.md.
/// </summary>
internal static class DatabaseLogins
{
    /// <summary>The script's path under the AppHost's folder.</summary>
    public static readonly string ScriptPath = Path.Combine("postgres", "database-logins.sh");

    /// <summary>
    /// A database with a login of its own on <paramref name="server"/>, named as the database: its
    /// password a generated secret, handed to the server for the script, and the connection string
    /// the service gets (that login, that database).
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddDatabase<TServer>(
        IDistributedApplicationBuilder builder, IResourceBuilder<TServer> server, EndpointReference endpoint, string name)
        where TServer : IResourceWithEnvironment
    {
        var password = builder.AddGeneratedSecret($"{name}-password");
        server.WithEnvironment(PasswordVariable(name), password);
        return builder.AddConnectionString(name, ReferenceExpression.Create(
                $"Host={endpoint.Property(EndpointProperty.Host)};Port={endpoint.Property(EndpointProperty.Port)};Username={name};Password={password};Database={name}"))
            .WithParentRelationship(server.Resource);
    }

    /// <summary>The variable the script reads the login's password from.</summary>
    public static string PasswordVariable(string database) => $"BOXOFFICE_PG_LOGIN_{database.ToUpperInvariant()}";

    /// <summary>
    /// The shell command the PostgreSQL container runs instead of its entrypoint: it adds an
    /// initialisation step (<see cref="ContainerInitScript"/>) and starts the image's own
    /// entrypoint. The step travels base64-encoded, so no quote, dollar or brace of the script is
    /// read by the manifest's expression syntax or a second shell.
    /// </summary>
    public static string ContainerCommand(string appHostDirectory, IEnumerable<string> databases) =>
        $"echo {Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(ContainerInitScript(appHostDirectory, databases)))} | base64 -d > {ContainerInitPath} && exec docker-entrypoint.sh postgres";

    /// <summary>Where the image runs initialisation scripts from: once, on an empty data folder, before the server listens.</summary>
    public const string ContainerInitPath = "/docker-entrypoint-initdb.d/10-boxoffice-logins.sh";

    /// <summary>
    /// The initialisation step, sourced by the image's entrypoint (which provides
    /// <c>docker_process_sql</c>, psql as the superuser): each database created owned by its login.
    /// </summary>
    public static string ContainerInitScript(string appHostDirectory, IEnumerable<string> databases) =>
        File.ReadAllText(Path.Combine(appHostDirectory, ScriptPath)).TrimEnd() + "\n" + $$"""
            {
              echo "SET log_min_error_statement = panic;"
              server_databases_sql
              for database in {{string.Join(' ', databases)}}; do
                database_login_sql "$database"
                printf 'CREATE DATABASE "%s" OWNER "%s";\n' "$database" "$database"
                database_owner_sql "$database"
              done
            } | docker_process_sql

            """;
}
