using Boxoffice.Identity.Data;
using Boxoffice.Postgres;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Boxoffice.Identity.Connect;

/// <summary>
/// The statements on <c>refresh_families</c> (<see cref="RefreshFamilies"/>), on the context's own
/// connection (its pool, its prepared statements). Every time is PostgreSQL's own <c>now()</c>, so
/// the leeway means the same whichever replica redeems.
/// </summary>
internal sealed class RefreshFamilyStore(IdentityDb db)
{
    /// <summary>
    /// Redeems generation <paramref name="presented"/> of the family: the next generation, or the
    /// current one when <paramref name="presented"/> is the one before it, redeemed less than
    /// <paramref name="leeway"/> ago. Null when the token is older, the family revoked, its sign-in
    /// (OpenIddict's authorization) revoked, or a token of that sign-in revoked, as OpenIddict does
    /// to a replayed code's. Concurrent redemptions of one token queue on the row's lock; PostgreSQL
    /// then checks the later ones against the first's generation.
    /// </summary>
    public Task<int?> RedeemAsync(string authorizationId, int presented, TimeSpan leeway, CancellationToken cancellationToken) =>
        ScalarAsync(
            """
            UPDATE refresh_families f
            SET generation = CASE WHEN f.generation = $2 THEN f.generation + 1 ELSE f.generation END,
                rolled_at = CASE WHEN f.generation = $2 THEN now() ELSE f.rolled_at END
            FROM "OpenIddictAuthorizations" a
            WHERE f.authorization_id = $1 AND a."Id" = f.authorization_id AND a."Status" = 'valid' AND f.revoked_at IS NULL
              AND (f.generation = $2 OR (f.generation = $2 + 1 AND f.rolled_at > now() - $3::interval))
              AND NOT EXISTS (SELECT 1 FROM "OpenIddictTokens" t WHERE t."AuthorizationId" = f.authorization_id AND t."Status" = 'revoked')
            RETURNING f.generation
            """, cancellationToken, authorizationId, presented, leeway);

    /// <summary>
    /// The generation of a new family's first token, or the current one of a family the
    /// authorization has already (a refresh token from before families, redeemed by its own row,
    /// perhaps twice within its leeway); null when the family was revoked or the authorization is gone.
    /// </summary>
    public async Task<int?> StartAsync(string authorizationId, CancellationToken cancellationToken)
    {
        try
        {
            return await ScalarAsync(
                """
                INSERT INTO refresh_families AS f (authorization_id, generation, rolled_at) VALUES ($1, 1, now())
                ON CONFLICT (authorization_id) DO UPDATE SET generation = f.generation WHERE f.revoked_at IS NULL
                RETURNING f.generation
                """, cancellationToken, authorizationId);
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            return null;
        }
    }

    /// <summary>Revokes the family; false when there was none to revoke (unknown, or revoked already).</summary>
    public async Task<bool> RevokeAsync(string authorizationId, CancellationToken cancellationToken) =>
        await ScalarAsync(
            "UPDATE refresh_families SET revoked_at = now() WHERE authorization_id = $1 AND revoked_at IS NULL RETURNING generation",
            cancellationToken, authorizationId) is not null;

    /// <summary>One statement's single int, or null for no row, retried as the context's other statements are.</summary>
    private Task<int?> ScalarAsync(string sql, CancellationToken cancellationToken, params object?[] parameters) =>
        db.Database.CreateExecutionStrategy().ExecuteAsync(async token =>
        {
            await db.Database.OpenConnectionAsync(token);
            try
            {
                await using var command = ((NpgsqlConnection)db.Database.GetDbConnection()).Command(sql, parameters);
                return await command.ExecuteScalarAsync(token) is int generation ? generation : (int?)null;
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
        }, cancellationToken);
}
