using Boxoffice.Messaging;
using Boxoffice.Messaging.Admin;
using Boxoffice.Messaging.Outbox;
using Boxoffice.Postgres;
using Confluent.Kafka;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// What operators see of a service's messaging and what they can do about it: outbox rows the
/// broker refused (parked) and dead-lettered messages of the topics the service consumes, each
/// listed and replayed. Policy <c>operator</c> (scope <c>operations</c>, role <c>operator</c>).
/// </summary>
public static class MessagingAdminApi
{
    private const int DefaultLimit = 50;
    private const int MaxParked = 1_000;
    private const int MaxDeadLetters = 500;

    /// <summary>Maps <c>/admin/messaging/...</c>; each service that uses Messaging calls it once.</summary>
    public static IEndpointRouteBuilder MapMessagingAdmin(this IEndpointRouteBuilder routes)
    {
        // In each service's OpenAPI document like the rest (an inventory leaves nothing out), marked as needing scope operations.
        var admin = routes.MapGroup("/admin/messaging").WithTags("Messaging administration")
            .RequireAuthorization(BoxofficeAuth.Policies.Operator);
        admin.MapGet("/parked", ListParked).WithName("ListParkedOutboxRows");
        admin.MapPost("/parked/{id:long:min(1)}/replay", ReplayParked).WithName("ReplayParkedOutboxRow");
        admin.MapGet("/dead-letters", ListDeadLetters).WithName("ListDeadLetters");
        admin.MapPost("/dead-letters/{topic}/{partition:int:min(0)}/{offset:long:min(0)}/replay", ReplayDeadLetter).WithName("ReplayDeadLetter");
        return routes;
    }

    /// <summary>Parked rows, oldest first.</summary>
    private static async Task<Results<Ok<ParkedList>, ValidationProblem>> ListParked(
        int? limit, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        if (Limit(limit, MaxParked) is { } error)
        {
            return error;
        }

        var (rows, total) = await db.ReadAsync(async connection =>
            (await ParkedRows.ListAsync(connection, limit ?? DefaultLimit, cancellationToken), await ParkedRows.CountAsync(connection, cancellationToken)), cancellationToken);
        return TypedResults.Ok(new ParkedList(total, rows));
    }

    /// <summary>Puts a parked row back into the relay's work list: 404 unknown, 409 not parked.</summary>
    private static async Task<Results<Ok<ParkedRelease.Released>, ProblemHttpResult>> ReplayParked(
        long id, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var outcome = await db.RunAsync(transaction => ParkedRows.ReleaseAsync(transaction, id, cancellationToken), cancellationToken);
        switch (outcome)
        {
            case ParkedRelease.Released released:
                KafkaTelemetry.Replayed.Add(1, new KeyValuePair<string, object?>("kind", "parked"), new KeyValuePair<string, object?>("topic", released.Topic));
                return TypedResults.Ok(released);
            case ParkedRelease.NotParked notParked:
                return Problems.Of(ProblemTypes.NotParked, "The outbox row is not parked.",
                    "Only a row the broker refused (failed_at set) can be replayed; the relay sends the others by itself.",
                    new Dictionary<string, object?> { ["outboxStatus"] = notParked.Status });
            default:
                return Problems.NotFound("parked outbox row");
        }
    }

    /// <summary>The newest dead letters of a topic the service consumes (<c>topic</c> is the main topic's name).</summary>
    private static async Task<Results<Ok<DeadLetterList>, ValidationProblem, ProblemHttpResult>> ListDeadLetters(
        string? topic, int? limit, [FromServices] IEnumerable<KafkaSubscription> subscriptions, DeadLetterReader reader, HttpResponse response,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(topic))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["topic"] = [$"Name the main topic whose dead letters to list: {string.Join(", ", Consumed(subscriptions))}."],
            });
        }

        if (Limit(limit, MaxDeadLetters) is { } error)
        {
            return error;
        }

        if (!Consumed(subscriptions).Contains(topic, StringComparer.Ordinal))
        {
            return Problems.NotFound("topic consumed by this service");
        }

        try
        {
            return TypedResults.Ok(await reader.ListAsync(topic, limit ?? DefaultLimit, cancellationToken));
        }
        catch (KafkaException)
        {
            return KafkaUnavailable(response);
        }
    }

    /// <summary>Copies one dead letter back to its main topic: 404 unknown topic or record.</summary>
    private static async Task<Results<Ok<DeadLetterReplayed>, ProblemHttpResult>> ReplayDeadLetter(
        string topic, int partition, long offset, [FromServices] IEnumerable<KafkaSubscription> subscriptions, DeadLetterReader reader, HttpResponse response,
        CancellationToken cancellationToken)
    {
        if (!Consumed(subscriptions).Contains(topic, StringComparer.Ordinal))
        {
            return Problems.NotFound("topic consumed by this service");
        }

        DeadLetterReplayed? replayed;
        try
        {
            replayed = await reader.ReplayAsync(topic, partition, offset, cancellationToken);
        }
        catch (KafkaException)
        {
            return KafkaUnavailable(response);
        }

        if (replayed is null)
        {
            return Problems.NotFound("dead letter");
        }

        KafkaTelemetry.Replayed.Add(1, new KeyValuePair<string, object?>("kind", "dead-letter"), new KeyValuePair<string, object?>("topic", topic));
        return TypedResults.Ok(replayed);
    }

    /// <summary>The main topics this service consumes: the only ones whose dead letters it shows.</summary>
    private static IEnumerable<string> Consumed(IEnumerable<KafkaSubscription> subscriptions) =>
        subscriptions.Select(subscription => subscription.Topic).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);

    private static ValidationProblem? Limit(int? limit, int max) =>
        limit is < 1 || limit > max
            ? TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = [$"limit must be between 1 and {max}."] })
            : null;

    private static ProblemHttpResult KafkaUnavailable(HttpResponse response)
    {
        response.Headers.RetryAfter = "5";
        return Problems.Of(ProblemTypes.BrokerUnavailable, "Kafka did not answer in time.", "Nothing was changed; try again.");
    }

    /// <summary>Parked rows (at most the limit asked for) and how many there are in all.</summary>
    internal sealed record ParkedList(long Total, IReadOnlyList<ParkedRow> Rows);
}
