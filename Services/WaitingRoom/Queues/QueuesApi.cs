using System.Globalization;
using Boxoffice.Contracts.WaitingRoom;
using Boxoffice.Postgres;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Boxoffice.WaitingRoom.Queues;

/// <summary>
/// What anybody may know of an event's waiting room, and what the gateway needs of every queue:
/// the snapshots it answers status from, and the buyers it saw polling. The <c>/internal</c>
/// routes are not routed by the gateway; they are reached only inside the environment.
/// </summary>
internal static class QueuesApi
{
    /// <summary>The most buyers one "seen" report may name (the gateway sends at most 50,000).</summary>
    public const int MaxSeenPerReport = 100_000;

    /// <summary>A buyer id is a token subject: far shorter than this.</summary>
    public const int MaxBuyerIdLength = 200;

    /// <summary>The policy of the internal endpoints: the <see cref="InternalKey"/> header, no token.</summary>
    public const string InternalPolicy = "internal-key";

    /// <summary><see cref="InternalPolicy"/>: the request carries the <see cref="InternalKey"/> header with the configured key.</summary>
    public static IServiceCollection AddInternalKeyPolicy(this IServiceCollection services)
    {
        services.AddAuthorizationBuilder().AddPolicy(InternalPolicy, policy => policy.RequireAssertion(context =>
            context.Resource is HttpContext http
            && http.RequestServices.GetRequiredService<IOptions<WaitingRoomOptions>>().Value.InternalKey is { Length: >= InternalKey.MinLength } key
            && SecretKeys.Matches(http.Request.Headers[InternalKey.Header], key)));
        return services;
    }

    public static IEndpointRouteBuilder MapQueuesApi(this IEndpointRouteBuilder routes)
    {
        // A string id: a malformed one is a 404 here, not an anonymous request falling through to the deny-by-default policy (401).
        routes.MapMethods("/events/{id}", [HttpMethods.Get, HttpMethods.Head], GetQueue).WithTags("Waiting room").WithName("GetWaitingRoom").AllowAnonymous();

        // The gateway's only (InternalKey): checked by authorization, before a body is read.
        var internals = routes.MapGroup("/internal/queues").WithTags("Waiting room (internal)").ExcludeFromDescription()
            .RequireAuthorization(InternalPolicy);
        internals.MapGet("/", ListQueues).WithName("ListQueueSnapshots");
        // 100,000 ids of a few dozen characters each, with room to spare.
        internals.MapPost("/seen", MarkSeen).WithName("MarkBuyersSeen").WithMetadata(new RequestSizeLimitAttribute(8_000_000));
        return routes;
    }

    private static async Task<Results<Ok<QueueInfo>, ProblemHttpResult>> GetQueue(
        string id, HttpResponse response, QueueSnapshots queues, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var eventId) || await queues.FindAsync(eventId, cancellationToken) is not { } view)
        {
            return Problems.NotFound("waiting room");
        }

        response.Headers.CacheControl = "public, max-age=1";
        return TypedResults.Ok(QueueRules.Info(view, time.GetUtcNow()));
    }

    /// <summary>Every enabled queue that is open or closed less than ten minutes ago.</summary>
    /// <summary>Every shown queue's snapshot, with when they were read (<see cref="QueueSnapshotHeaders.ReadAt"/>): the gateway tells a queue newer than its snapshot from one that does not exist.</summary>
    private static async Task<Ok<QueueSnapshot[]>> ListQueues(QueueSnapshots queues, HttpResponse response, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var read = await queues.GetReadAsync(cancellationToken);
        response.Headers[QueueSnapshotHeaders.ReadAt] = read.At.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        return TypedResults.Ok(read.Views.Select(view => QueueRules.Snapshot(view, now)).ToArray());
    }

    /// <summary>The buyers the gateway saw polling since its last report: their places are not abandoned.</summary>
    private static async Task<Results<NoContent, ValidationProblem>> MarkSeen(
        SeenReport report, NpgsqlDataSource db, TimeProvider time, CancellationToken cancellationToken)
    {
        if (Check(report) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var now = time.Now();
        await db.RunAsync(
            transaction => PlaceStore.MarkSeenAsync(transaction, report.Events!, report.ToldSoldOut ?? [], now, cancellationToken), cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>What is wrong with a report: no <c>events</c>, too many buyers, or a buyer id that is empty or too long.</summary>
    internal static Dictionary<string, string[]> Check(SeenReport report)
    {
        var errors = new Dictionary<string, string[]>();
        if (report.Events is null)
        {
            errors["events"] = ["Name the buyers seen, by event: { \"events\": { \"<eventId>\": [\"<buyerId>\", ...] }, \"toldSoldOut\": { ... } }."];
            return errors;
        }

        var total = CheckBuyers("events", report.Events, errors) + CheckBuyers("toldSoldOut", report.ToldSoldOut, errors);
        if (total > MaxSeenPerReport)
        {
            errors["events"] = [$"At most {MaxSeenPerReport} buyers per report; this one names {total}."];
        }

        return errors;
    }

    /// <summary>Checks one list of buyers by event; returns how many it names.</summary>
    private static long CheckBuyers(string name, Dictionary<Guid, string[]>? byEvent, Dictionary<string, string[]> errors)
    {
        var total = 0L;
        foreach (var (eventId, buyers) in byEvent ?? [])
        {
            if (buyers is null || buyers.Any(buyer => string.IsNullOrEmpty(buyer) || buyer.Length > MaxBuyerIdLength))
            {
                errors[$"{name}.{eventId}"] = [$"A list of buyer ids, each 1 to {MaxBuyerIdLength} characters."];
            }

            total += buyers?.Length ?? 0;
        }

        return total;
    }
}

/// <summary>
/// The buyers a gateway saw asking, by event: those it answered otherwise (<see cref="Events"/>),
/// and those whose last poll it answered "sold out" (<see cref="ToldSoldOut"/>, optional): they
/// left the line. A buyer is in one list or the other.
/// </summary>
internal sealed record SeenReport(Dictionary<Guid, string[]>? Events, Dictionary<Guid, string[]>? ToldSoldOut = null);
