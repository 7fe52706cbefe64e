using Npgsql;

namespace Boxoffice.Postgres;

/// <summary>Keyset paging: a page continues after a row the caller names by id, and must own.</summary>
public static class Keyset
{
    /// <summary>
    /// The sort key of the row a page continues after. <paramref name="sql"/> selects it by id
    /// (<c>$1</c>) and owner (<c>$2</c>), so another owner's row is not found. No
    /// <paramref name="after"/>: found, the first page (default key). Named but not found: not
    /// found, and the caller answers as for an unknown cursor.
    /// </summary>
    public static async Task<(bool Found, T? Key)> AnchorAsync<T>(
        this NpgsqlConnection connection, Guid? after, string sql, string owner, Func<NpgsqlDataReader, T> readKey, CancellationToken cancellationToken)
    {
        if (after is not { } id)
        {
            return (true, default);
        }

        await using var find = connection.Command(sql, id, owner);
        await using var row = await find.ExecuteReaderAsync(cancellationToken);
        return await row.ReadAsync(cancellationToken) ? (true, readKey(row)) : (false, default);
    }
}
