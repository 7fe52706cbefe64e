using Boxoffice.PaymentProvider.Admin;
using Boxoffice.Postgres;
using Boxoffice.PaymentProvider.Extensions;
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
/// answer as the first (201 or 200 made, 402 declined). A charge's fate is decided when it is
/// recorded; one still <c>processing</c> after its time has come (its process died, or completing
/// it failed) is completed by whoever reads it next, before the answer.
/// </summary>
internal static class ChargesApi
{
    public static IEndpointRouteBuilder MapChargesApi(this IEndpointRouteBuilder routes)
    {
        var charges = routes.MapGroup("/charges").WithTags("Charges");
        charges.MapPost("/", CreateCharge).WithName("CreateCharge");
        charges.MapGet("/", ListCharges).WithName("ListCharges");
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
        var logger = loggers.CreateLogger(typeof(ChargesApi));
        var fate = ChargeFate.Roll(chaos.Current);
        if (fate.Unavailable)
        {
            // A key seen before is answered as it was, whatever the chaos: only a new charge fails.
            return await FindAsync(db, key, time, logger, cancellationToken) is { } earlier
                ? Replay(earlier, hash, http.Response)
                : ProviderProblems.Unavailable();
        }

        return await ChargeAsync(key, hash, request, fate, db, time, logger, http.Response);
    }

    /// <summary>
    /// A new charge is one statement: recorded with its fate, and completed in it when it has no
    /// delay. A key seen before writes nothing and is answered as a retry. Once started, a charge
    /// completes even if the caller hangs up (a real PSP finishes what it started): nothing from
    /// here on listens to the request's cancellation. Its outcome and the time it completes are
    /// recorded with it, so one with a delay completes even if this process dies during the delay
    /// or cannot write the completion: the next read of it, or the sweep, does it. The caller
    /// learns the outcome by retrying with the same key.
    /// </summary>
    private static async Task<ChargeResult> ChargeAsync(
        string key, byte[] hash, ChargeRequest request, ChargeFate fate, NpgsqlDataSource db, TimeProvider time, ILogger logger, HttpResponse response)
    {
        var now = time.Now();
        if (await ChargeStore.TryStartAsync(db, Guid.CreateVersion7(now), key, hash, request, fate, now, CancellationToken.None) is not { } started)
        {
            // A retry, or a request with the same key that started first: answer as to a retry.
            var first = await FindAsync(db, key, time, logger, CancellationToken.None)
                ?? throw new InvalidOperationException("A charge that conflicted on its key is gone.");
            return Replay(first, hash, response);
        }

        var charge = started.Charge;
        if (charge.Status == ChargeStatus.Processing)
        {
            await Task.Delay(fate.Delay, time, CancellationToken.None);
            // Completed already if a read came after its time and before this: the same outcome either way.
            charge = (await ChargeStore.CompleteAsync(db, charge.Id, time.Now(), CancellationToken.None)).Charge;
        }

        if (charge.Status == ChargeStatus.Declined)
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
        TypedResults.Json(charge, ProviderJson.Default.Charge, statusCode: StatusCodes.Status402PaymentRequired);

    private static async Task<Results<Ok<Charge>, ProblemHttpResult>> GetCharge(
        string key, NpgsqlDataSource db, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken) =>
        await FindAsync(db, key, time, loggers.CreateLogger(typeof(ChargesApi)), cancellationToken) is { } stored
            ? TypedResults.Ok(stored.Charge)
            : ProviderProblems.ChargeNotFound();

    /// <summary>
    /// The charges created in a window, a page at a time in creation order, for reconciling against the
    /// caller's own records. Charges due to complete are completed first, so none is listed as
    /// processing after its time.
    /// </summary>
    private static async Task<Results<Ok<ChargePage>, ValidationProblem>> ListCharges(
        HttpRequest request, NpgsqlDataSource db, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var (query, errors) = ChargeListQuery.Parse(request.Query);
        if (query is null)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var logger = loggers.CreateLogger(typeof(ChargesApi));
        await ChargeStore.CompleteDueAsync(db, time.GetUtcNow(), logger, cancellationToken);

        return await ChargeStore.ListAsync(db, query, cancellationToken) is { } page
            ? TypedResults.Ok(page)
            : TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["startingAfter"] = ["No charge has this id: give the id of the last charge of the previous page."] });
    }

    /// <summary>The charge with this key, completed first if it is due.</summary>
    private static async Task<StoredCharge?> FindAsync(NpgsqlDataSource db, string key, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        var stored = await ChargeStore.FindAsync(db, key, cancellationToken);
        if (stored is null || !stored.IsDue(time.GetUtcNow()))
        {
            return stored;
        }

        var completed = await ChargeStore.CompleteAsync(db, stored.Charge.Id, completedAt: null, cancellationToken);
        ProviderLog.ChargeCompletedLate(logger, key, completed.Charge.Status, completed.Charge.Amount);
        return completed;
    }
}
