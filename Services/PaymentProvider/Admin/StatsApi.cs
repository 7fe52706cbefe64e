using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Boxoffice.PaymentProvider.Admin;

/// <summary>Totals over everything the provider has recorded, for tests and for reconciling with Payments.</summary>
internal static class StatsApi
{
    public static IEndpointRouteBuilder MapStatsApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/admin/stats", GetStats).WithTags("Admin").WithName("GetStats");
        return routes;
    }

    private static async Task<Ok<ProviderStats>> GetStats(NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            """
            SELECT count(*) FILTER (WHERE status = 'succeeded'),
                   count(*) FILTER (WHERE status = 'declined'),
                   count(*) FILTER (WHERE status = 'processing'),
                   (SELECT count(*) FROM refunds),
                   (SELECT coalesce(sum(amount), 0) FROM refunds)
            FROM charges
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return TypedResults.Ok(new ProviderStats(
            new ChargeCounts(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2)),
            reader.GetInt64(3),
            reader.GetDecimal(4)));
    }
}

/// <summary>Charges by status, and the number and sum of refunds (the sum adds up every currency).</summary>
internal sealed record ProviderStats(ChargeCounts Charges, long Refunds, decimal RefundedAmount);

internal sealed record ChargeCounts(long Succeeded, long Declined, long Processing);
