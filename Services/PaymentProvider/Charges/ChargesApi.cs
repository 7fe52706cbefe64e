using Boxoffice.PaymentProvider.Admin;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using ChargeResult = Microsoft.AspNetCore.Http.HttpResults.Results<
    Microsoft.AspNetCore.Http.HttpResults.Created<Boxoffice.PaymentProvider.Charges.Charge>,
    Microsoft.AspNetCore.Http.HttpResults.Ok<Boxoffice.PaymentProvider.Charges.Charge>,
    Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<Boxoffice.PaymentProvider.Charges.Charge>,
    Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult,
    Microsoft.AspNetCore.Http.HttpResults.ValidationProblem>;

namespace Boxoffice.PaymentProvider.Charges;

/// <summary>
/// Charges, idempotent by the caller's Idempotency-Key: however often a request is sent, and
/// however many arrive at once, one key charges at most once, and every retry gets the same
/// answer as the first (201 or 200 made, 402 declined).
/// </summary>
internal static class ChargesApi
{
    public static IEndpointRouteBuilder MapChargesApi(this IEndpointRouteBuilder routes)
    {
        var charges = routes.MapGroup("/charges").WithTags("Charges");
        charges.MapPost("/", CreateCharge).WithName("CreateCharge");
        charges.MapGet("/{key}", GetCharge).WithName("GetCharge");
        return routes;
    }

    private static async Task<ChargeResult> CreateCharge(
        ChargeRequest request, HttpContext http, NpgsqlDataSource db, ChaosState chaos, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var key = PaymentRules.IdempotencyKey(http.Request);
        var errors = PaymentRules.Check(request, key);
        if (key is null || errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var hash = PaymentRules.Hash(request);
        if (await ChargeStore.FindAsync(db, key, cancellationToken) is { } existing)
        {
            return Replay(existing, hash, http.Response);
        }

        var fate = ChargeFate.Roll(chaos.Current);
        return fate.Unavailable
            ? ProviderProblems.Unavailable()
            : await ChargeAsync(key, hash, request, fate, db, time, loggers.CreateLogger(typeof(ChargesApi)), http.Response);
    }

    /// <summary>
    /// Once started, a charge completes even if the caller hangs up (a real PSP finishes what it
    /// started): nothing from here on listens to the request's cancellation. The caller learns the
    /// outcome by retrying with the same key.
    /// </summary>
    private static async Task<ChargeResult> ChargeAsync(
        string key, byte[] hash, ChargeRequest request, ChargeFate fate, NpgsqlDataSource db, TimeProvider time, ILogger logger, HttpResponse response)
    {
        var id = Guid.CreateVersion7(time.GetUtcNow());
        if (!await ChargeStore.TryStartAsync(db, id, key, hash, request, time.GetUtcNow(), CancellationToken.None))
        {
            // A request with the same key started first, between the look-up and here: answer as to a retry.
            var first = await ChargeStore.FindAsync(db, key, CancellationToken.None)
                ?? throw new InvalidOperationException("A charge that conflicted on its key is gone.");
            return Replay(first, hash, response);
        }

        if (fate.Delay > TimeSpan.Zero)
        {
            await Task.Delay(fate.Delay, time, CancellationToken.None);
        }

        var charge = await ChargeStore.CompleteAsync(db, id, fate.Declined ? ChargeStatus.Declined : ChargeStatus.Succeeded, time.GetUtcNow(), CancellationToken.None);
        if (fate.Declined)
        {
            ProviderLog.ChargeDeclined(logger, key, charge.Amount);
            return Declined(charge);
        }

        ProviderLog.ChargeSucceeded(logger, key, charge.Amount);
        return TypedResults.Created($"charges/{Uri.EscapeDataString(key)}", charge);
    }

    /// <summary>A key seen before: the same request gets the first answer; another request with it is refused.</summary>
    private static ChargeResult Replay(StoredCharge stored, byte[] hash, HttpResponse response)
    {
        if (!stored.RequestHash.AsSpan().SequenceEqual(hash))
        {
            return ProviderProblems.KeyReused();
        }

        if (stored.Charge.Status == ChargeStatus.Processing)
        {
            response.Headers.RetryAfter = "1";
            return ProviderProblems.ChargeInProgress();
        }

        return stored.Charge.Status == ChargeStatus.Declined ? Declined(stored.Charge) : TypedResults.Ok(stored.Charge);
    }

    /// <summary>402 Payment Required, with the charge as the body: the decline is recorded like a success.</summary>
    private static JsonHttpResult<Charge> Declined(Charge charge) =>
        TypedResults.Json(charge, statusCode: StatusCodes.Status402PaymentRequired);

    private static async Task<Results<Ok<Charge>, ProblemHttpResult>> GetCharge(string key, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        await ChargeStore.FindAsync(db, key, cancellationToken) is { } stored
            ? TypedResults.Ok(stored.Charge)
            : ProviderProblems.ChargeNotFound();
}
