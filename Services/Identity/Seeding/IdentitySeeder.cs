using System.Text.Json;
using Boxoffice.Identity.Connect;
using Boxoffice.Identity.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Boxoffice.Identity.Seeding;

/// <summary>
/// Creates identitydb's tables and the configured clients and accounts. Idempotent and safe when
/// several replicas start together (one transaction-scoped advisory lock); a configured client
/// is updated to match configuration, so a rotated secret takes effect on the next start.
/// </summary>
internal sealed class IdentitySeeder(
    IdentityDb db,
    IOpenIddictApplicationManager applications,
    IPasswordHasher<User> hasher,
    IOptions<IdentitySettings> options,
    TimeProvider time,
    ILogger<IdentitySeeder> logger)
{
    public const string RolesProperty = "roles";

    public const string ActsForBuyersProperty = "acts_for_buyers";

    public Task SeedAsync(CancellationToken cancellationToken) => db.RunLockedAsync("identity-schema", async token =>
    {
        await CreateSchemaAsync(token);
        foreach (var (clientId, client) in options.Value.Clients)
        {
            await SeedClientAsync(clientId, client, token);
        }

        foreach (var (name, account) in options.Value.Seed)
        {
            await SeedAccountAsync(name, account, token);
        }

        // Once every seeded account exists: staff may name another seeded account as its organizer.
        foreach (var (name, account) in options.Value.Seed)
        {
            await SeedWorksForAsync(name, account, token);
        }
    }, cancellationToken);

    private async Task CreateSchemaAsync(CancellationToken cancellationToken)
    {
        // EnsureCreated only acts on an empty database; the schema script is idempotent enough for
        // the first start, and tables exist from then on.
        var exists = await db.Database.SqlQueryRaw<bool>("SELECT to_regclass('users') IS NOT NULL AS \"Value\"").SingleAsync(cancellationToken);
        if (!exists)
        {
            await db.Database.ExecuteSqlRawAsync(db.Database.GenerateCreateScript(), cancellationToken);
            logger.LogInformation("Created the identity schema");
        }

        // Columns added since a database's tables were first created (EnsureCreated-style
        // scripts have no migrations); each statement does nothing once the column exists.
        await db.Database.ExecuteSqlRawAsync("""ALTER TABLE users ADD COLUMN IF NOT EXISTS "WorksFor" text[] NOT NULL DEFAULT ARRAY[]::text[]""", cancellationToken);
        await db.Database.ExecuteSqlRawAsync("""ALTER TABLE signing_keys ADD COLUMN IF NOT EXISTS "ActivatesAt" timestamp with time zone""", cancellationToken);
        await db.Database.ExecuteSqlRawAsync(RefreshFamilies.CreateTable, cancellationToken);
    }

    private async Task SeedClientAsync(string clientId, ClientOptions client, CancellationToken cancellationToken)
    {
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = clientId,
            ClientSecret = string.IsNullOrEmpty(client.ClientSecret) ? null : client.ClientSecret,
            ClientType = string.IsNullOrEmpty(client.ClientSecret) ? ClientTypes.Public : ClientTypes.Confidential,
            ConsentType = ConsentTypes.Implicit,
            DisplayName = client.DisplayName ?? clientId,
        };
        descriptor.Properties[RolesProperty] = JsonSerializer.SerializeToElement(client.Roles);
        if (client.ActsForBuyers)
        {
            descriptor.Properties[ActsForBuyersProperty] = JsonSerializer.SerializeToElement(true);
        }
        foreach (var uri in client.RedirectUris)
        {
            descriptor.RedirectUris.Add(new Uri(uri, UriKind.Absolute));
        }

        foreach (var uri in client.PostLogoutRedirectUris)
        {
            descriptor.PostLogoutRedirectUris.Add(new Uri(uri, UriKind.Absolute));
        }

        descriptor.Permissions.Add(Permissions.Endpoints.Token);
        descriptor.Permissions.Add(Permissions.Endpoints.Revocation);
        foreach (var grant in client.GrantTypes)
        {
            descriptor.Permissions.Add(Permissions.Prefixes.GrantType + grant);
            if (grant == GrantTypes.AuthorizationCode)
            {
                descriptor.Permissions.Add(Permissions.Endpoints.Authorization);
                descriptor.Permissions.Add(Permissions.Endpoints.EndSession);
                descriptor.Permissions.Add(Permissions.ResponseTypes.Code);
                descriptor.Requirements.Add(Requirements.Features.ProofKeyForCodeExchange);
            }
        }

        foreach (var scope in client.Scopes.Where(scope => scope != Scopes.OpenId))
        {
            descriptor.Permissions.Add(Permissions.Prefixes.Scope + scope);
        }

        if (client.AccessTokenLifetime is { } lifetime)
        {
            descriptor.Settings[Settings.TokenLifetimes.AccessToken] = lifetime.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
        }

        var existing = await applications.FindByClientIdAsync(clientId, cancellationToken);
        if (existing is null)
        {
            await applications.CreateAsync(descriptor, cancellationToken);
            logger.LogInformation("Created client {ClientId}", clientId);
        }
        else
        {
            await applications.UpdateAsync(existing, descriptor, cancellationToken);
        }
    }

    private async Task SeedAccountAsync(string name, SeedAccount account, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(account.Email) || string.IsNullOrEmpty(account.Password))
        {
            logger.LogInformation("Seed account {Account} has no email or password configured; not created", name);
            return;
        }

        var normalized = User.Normalize(account.Email);
        var user = await db.Users.SingleOrDefaultAsync(u => u.NormalizedEmail == normalized, cancellationToken);
        if (user is null)
        {
            user = new User
            {
                Id = Guid.CreateVersion7(time.GetUtcNow()),
                Email = account.Email.Trim(),
                NormalizedEmail = normalized,
                PasswordHash = "",
                Roles = [.. account.Roles],
                CreatedAt = time.GetUtcNow(),
            };
            db.Users.Add(user);
            logger.LogInformation("Created seed account {Account}", name);
        }

        // The parameter is the source of truth for a seeded account's password and roles.
        if (hasher.VerifyHashedPassword(user, user.PasswordHash, account.Password) == PasswordVerificationResult.Failed)
        {
            user.PasswordHash = hasher.HashPassword(user, account.Password);
        }

        user.Roles = [.. account.Roles];
        await db.SaveChangesAsync(cancellationToken);
    }

    private async Task SeedWorksForAsync(string name, SeedAccount account, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(account.Email) || string.IsNullOrEmpty(account.Password))
        {
            return;
        }

        var worksFor = new List<string>();
        foreach (var entry in account.WorksFor)
        {
            var named = entry.StartsWith("organizer:", StringComparison.Ordinal) ? entry["organizer:".Length..] : null;
            if (named is not null && options.Value.Seed.TryGetValue(named, out var organizer))
            {
                var email = User.Normalize(organizer.Email ?? "");
                var id = await db.Users.Where(u => u.NormalizedEmail == email).Select(u => (Guid?)u.Id).SingleOrDefaultAsync(cancellationToken)
                    ?? throw new InvalidOperationException($"Seed account '{name}' works for seed account '{named}', which has no account.");
                worksFor.Add(BoxofficeAuth.WorksFor.Organizer(id.ToString()));
            }
            else if (entry.StartsWith("event:", StringComparison.Ordinal) && Guid.TryParse(entry["event:".Length..], out var eventId))
            {
                worksFor.Add(BoxofficeAuth.WorksFor.Event(eventId)); // as booking compares it, whatever spelling configuration used
            }
            else if (entry.StartsWith("organizer:", StringComparison.Ordinal))
            {
                worksFor.Add(entry);
            }
            else
            {
                throw new InvalidOperationException($"Seed account '{name}': '{entry}' is neither organizer:{{seed account or id}} nor event:{{id}}.");
            }
        }

        var normalized = User.Normalize(account.Email);
        await db.Users.Where(u => u.NormalizedEmail == normalized)
            .ExecuteUpdateAsync(set => set.SetProperty(u => u.WorksFor, worksFor.ToArray()), cancellationToken);
    }
}
