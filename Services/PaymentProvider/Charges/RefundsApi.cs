using Boxoffice.PaymentProvider.Admin;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using RefundResult = Microsoft.AspNetCore.Http.HttpResults.Results<
    Microsoft.AspNetCore.Http.HttpResults.Created<Boxoffice.PaymentProvider.Charges.Refund>,
    Microsoft.AspNetCore.Http.HttpResults.Ok<Boxoffice.PaymentProvider.Charges.Refund>,
    Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult,
    Microsoft.AspNetCore.Http.HttpResults.ValidationProblem>;

namespace Boxoffice.PaymentProvider.Charges;

/// <summary>
/// Refunds of succeeded charges, in part or in whole, idempotent by their own Idempotency-Key
/// like charges. The refunds of a charge never add up to more than was charged.
/// </summary>
internal static class RefundsApi
{
    public static IEndpointRouteBuilder MapRefundsApi(this IEndpointRouteBuilder routes)
    {
        var refunds = routes.MapGroup("/refunds").WithTags("Refunds");
        refunds.MapPost("/", CreateRefund).WithName("CreateRefund");
        refunds.MapGet("/{key}", GetRefund).WithName("GetRefund");
        return routes;
    }

    private static async Task<RefundResult> CreateRefund(
        RefundRequest request, HttpRequest http, NpgsqlDataSource db, ChaosState chaos, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var key = PaymentRules.IdempotencyKey(http);
        var errors = PaymentRules.Check(request, key);
        if (key is null || errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var hash = PaymentRules.Hash(request);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        if (await RefundStore.FindAsync(connection, null, key, cancellationToken) is { } existing)
        {
            return Replay(existing, hash);
        }

        return ChaosRules.Happens(chaos.Current.ErrorRate)
            ? ProviderProblems.Unavailable()
            : await RefundAsync(connection, key, hash, request, time, loggers.CreateLogger(typeof(RefundsApi)), cancellationToken);
    }

    /// <summary>One transaction: the charge's row lock, the refund, and the charge's refunded amount.</summary>
    private static async Task<RefundResult> RefundAsync(
        NpgsqlConnection connection, string key, byte[] hash, RefundRequest request, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await RefundStore.LockChargeAsync(transaction, request.ChargeKey, time.GetUtcNow(), cancellationToken) is not { } charge)
        {
            return ProviderProblems.ChargeNotFound();
        }

        if (charge.CompletedNow)
        {
            // The completion is kept whatever becomes of the refund: committed now, and the refund
            // starts again in a transaction of its own (the charge is no longer due, so this happens once).
            await transaction.CommitAsync(cancellationToken);
            ProviderLog.ChargeCompletedLate(logger, request.ChargeKey, charge.Status, charge.Amount);
            return await RefundAsync(connection, key, hash, request, time, logger, cancellationToken);
        }

        // A duplicate that waited for the lock finds the first one's refund here, before the
        // amount check that the first refund may now fail.
        if (await RefundStore.FindAsync(connection, transaction, key, cancellationToken) is { } existing)
        {
            return Replay(existing, hash);
        }

        if (charge.Status != ChargeStatus.Succeeded)
        {
            return ProviderProblems.NotRefundable(charge.Status);
        }

        var amount = request.Amount ?? charge.Refundable;
        if (amount <= 0 || amount > charge.Refundable)
        {
            return ProviderProblems.ExceedsCharge(charge.Refundable);
        }

        var id = Guid.CreateVersion7(time.GetUtcNow());
        if (await RefundStore.TryInsertAsync(transaction, id, key, hash, charge.Id, amount, time.GetUtcNow(), cancellationToken) is not { } createdAt)
        {
            // The key was taken meanwhile by a refund of another charge: a different request.
            await transaction.RollbackAsync(cancellationToken);
            var first = await RefundStore.FindAsync(connection, null, key, cancellationToken)
                ?? throw new InvalidOperationException("A refund that conflicted on its key is gone.");
            return Replay(first, hash);
        }

        await RefundStore.AddRefundedAsync(transaction, charge.Id, amount, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        ProviderLog.Refunded(logger, key, request.ChargeKey, amount);
        return TypedResults.Created($"refunds/{Uri.EscapeDataString(key)}", new Refund(id, key, charge.Id, request.ChargeKey, amount, createdAt));
    }

    private static RefundResult Replay(StoredRefund stored, byte[] hash) =>
        stored.RequestHash.AsSpan().SequenceEqual(hash) ? TypedResults.Ok(stored.Refund) : ProviderProblems.KeyReused();

    private static async Task<Results<Ok<Refund>, ProblemHttpResult>> GetRefund(string key, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await RefundStore.FindAsync(connection, null, key, cancellationToken) is { } stored
            ? TypedResults.Ok(stored.Refund)
            : ProviderProblems.RefundNotFound();
    }
}
