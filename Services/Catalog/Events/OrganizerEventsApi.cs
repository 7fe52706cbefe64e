using System.Security.Claims;
using Boxoffice.Catalog.Caching;
using Boxoffice.Catalog.Venues;
using Boxoffice.Contracts.Catalog;
using Boxoffice.Messaging.Outbox;
using Boxoffice.Postgres;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Boxoffice.Catalog.Events;

/// <summary>
/// An organizer's events: create and edit drafts, then move them through their life cycle. Each
/// change that buyers or booking must know about is announced through the outbox, committed
/// with the change. Organizers never see or change each other's events (404, as for no event).
/// </summary>
internal static class OrganizerEventsApi
{
    public static IEndpointRouteBuilder MapOrganizerEventsApi(this IEndpointRouteBuilder routes)
    {
        var organizer = routes.MapGroup("/organizer/events")
            .WithTags("Organizer")
            .RequireAuthorization(BoxofficeAuth.Policies.Organizer);
        organizer.MapGet("/", ListOwnEvents).WithName("ListOwnEvents");
        organizer.MapGet("/{id:guid}", GetOwnEvent).WithName("GetOwnEvent");
        organizer.MapPost("/", CreateEvent).WithName("CreateEvent");
        organizer.MapPut("/{id:guid}", UpdateDraft).WithName("UpdateDraftEvent");
        foreach (var transition in EventTransition.All)
        {
            organizer.MapPost($"/{{id:guid}}/{transition.Action}", (Guid id, ClaimsPrincipal user, NpgsqlDataSource db, OutboxWriter outbox, CatalogCache cache, TimeProvider time, CancellationToken cancellationToken) =>
                    Transition(transition, id, user, db, outbox, cache, time, cancellationToken))
                .WithName(transition.EndpointName)
                .WithSummary(transition.Summary);
        }

        organizer.MapPut("/{id:guid}/waiting-room", SetWaitingRoom).WithName("SetWaitingRoom")
            .WithSummary("Sells the event through a waiting room, or changes its settings.");
        organizer.MapDelete("/{id:guid}/waiting-room", RemoveWaitingRoom).WithName("RemoveWaitingRoom")
            .WithSummary("Sells the event without a waiting room.");
        organizer.MapPut("/{id:guid}/ticket-limit", SetTicketLimit).WithName("SetTicketLimit").ProducesValidationProblem()
            .WithSummary("Limits the places one buyer may hold or buy of the event, or changes the limit.");
        organizer.MapDelete("/{id:guid}/ticket-limit", RemoveTicketLimit).WithName("RemoveTicketLimit")
            .WithSummary("Takes the event's ticket limit away: booking's own per-buyer cap applies.");
        return routes;
    }

    /// <summary>The organizer's events, soonest first, a page at a time (<see cref="PageRequest"/>): the next page's address in the Link header.</summary>
    private static Task<Results<Ok<IReadOnlyList<EventSummary>>, ValidationProblem>> ListOwnEvents(
        HttpRequest http, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        PageRequest.AnswerAsync(
            http,
            page => db.ReadAsync(connection => EventStore.ListOwnAsync(connection, user.OrganizerId(), page.Limit, page.After, cancellationToken), cancellationToken),
            summary => summary.Id);

    private static async Task<Results<Ok<EventDetail>, NotFound>> GetOwnEvent(Guid id, ClaimsPrincipal user, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await EventStore.FindAsync(connection, null, id, user.OrganizerId(), cancellationToken) is { } detail
            ? TypedResults.Ok(detail)
            : TypedResults.NotFound();
    }

    private static async Task<Results<Created<EventDetail>, ValidationProblem, ProblemHttpResult>> CreateEvent(
        EventRequest request, HttpRequest http, ClaimsPrincipal user, NpgsqlDataSource db, TimeProvider time,
        Microsoft.Extensions.Options.IOptions<OrganizerQuotaOptions> quota, CancellationToken cancellationToken)
    {
        var organizerId = user.OrganizerId();
        request = request.Normalized();
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        if (await OrganizerQuotas.WaitAsync(connection, OrganizerQuotas.Kind.Events, organizerId, quota.Value, cancellationToken) is { } wait)
        {
            return OrganizerQuotas.Refuse(http.HttpContext.Response, "events", quota.Value.EventsPerWindow, quota.Value.Window, wait);
        }

        var venue = await VenueStore.FindAsync(connection, request.VenueId!.Value, organizerId, cancellationToken);
        if (EventRules.Check(request, venue, time.GetUtcNow()) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var id = Guid.CreateVersion7();
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await EventStore.InsertAsync(transaction, id, organizerId, request, venue!, cancellationToken);
        var detail = (await EventStore.FindAsync(connection, transaction, id, organizerId, cancellationToken))!;
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Created(http.CreatedLocation(id), detail);
    }

    /// <summary>Replaces a draft's details and tiers. Once published, an event's terms are fixed: 409.</summary>
    private static async Task<Results<Ok<EventDetail>, ValidationProblem, NotFound, ProblemHttpResult>> UpdateDraft(
        Guid id, EventRequest request, ClaimsPrincipal user, NpgsqlDataSource db, TimeProvider time, CancellationToken cancellationToken)
    {
        // Whose and which state first: another organizer's event is not found, whatever the body says.
        var organizerId = user.OrganizerId();
        request = request.Normalized();
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await EventStore.LockAsync(transaction, id, organizerId, cancellationToken) is not { } current)
        {
            return TypedResults.NotFound();
        }

        if (current.Status != EventStatus.Draft)
        {
            return Conflict(current.Status, "Only a draft can be changed; this event is " + current.Status.Name() + ".");
        }

        var venue = await VenueStore.FindAsync(connection, request.VenueId!.Value, organizerId, cancellationToken);
        if (EventRules.Check(request, venue, time.GetUtcNow()) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        await EventStore.UpdateDraftAsync(transaction, id, organizerId, request, venue!, cancellationToken);
        var detail = (await EventStore.FindAsync(connection, transaction, id, organizerId, cancellationToken))!;
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(detail);
    }

    private static async Task<Results<Ok<EventDetail>, NotFound, ProblemHttpResult>> Transition(
        EventTransition transition, Guid id, ClaimsPrincipal user, NpgsqlDataSource db, OutboxWriter outbox, CatalogCache cache, TimeProvider time, CancellationToken cancellationToken)
    {
        var organizerId = user.OrganizerId();
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await EventStore.LockAsync(transaction, id, organizerId, cancellationToken) is not { } current)
        {
            return TypedResults.NotFound();
        }

        if (!transition.From.Contains(current.Status))
        {
            return Conflict(current.Status, $"An event that is {current.Status.Name()} cannot {transition.Verb}.");
        }

        if (transition.To is EventStatus.Published or EventStatus.OnSale && current.SaleClosesAt <= time.GetUtcNow())
        {
            return Conflict(current.Status, "The event's sale window has already closed.");
        }

        await EventStore.SetStatusAsync(transaction, id, transition.To, cancellationToken);
        var detail = (await EventStore.FindAsync(connection, transaction, id, organizerId, cancellationToken))!;
        if (await AnnounceAsync(transition, current.Status, detail, organizerId, transaction, outbox, cancellationToken) is { } refused)
        {
            return refused;
        }

        await transaction.CommitAsync(cancellationToken);

        // This replica forgets at once; the others when the event reaches them through Kafka.
        await cache.InvalidateEventAsync(id, CancellationToken.None);
        return TypedResults.Ok(detail);
    }

    /// <summary>
    /// Writes to the outbox what the transition tells booking and the caches, in its transaction;
    /// a problem when the announcement cannot be sent (nothing is then committed).
    /// </summary>
    private static async Task<ProblemHttpResult?> AnnounceAsync(
        EventTransition transition, EventStatus from, EventDetail detail, string organizerId, NpgsqlTransaction transaction, OutboxWriter outbox, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        switch (transition.To)
        {
            case EventStatus.Published:
                var venue = (await VenueStore.FindAsync(connection, detail.Venue.Id, organizerId, cancellationToken))!;
                try
                {
                    await outbox.EnqueueAsync(connection, transaction, EventMessages.Published(detail, organizerId, venue), cancellationToken);
                }
                catch (OutboxMessageTooLargeException tooLarge)
                {
                    // Nothing is committed: the event stays a draft.
                    return Problems.Of(ProblemTypes.InventoryTooLarge,
                        title: "The event's inventory is too large to announce.",
                        detail: tooLarge.Message + " Use fewer, longer rows or shorter names.");
                }

                break;
            case EventStatus.Cancelled when from != EventStatus.Draft:
                await outbox.EnqueueAsync(connection, transaction, new EventCancelled(detail.Id, detail.Version), cancellationToken);
                break;
            case EventStatus.OnSale or EventStatus.Closed:
                await outbox.EnqueueAsync(connection, transaction, EventMessages.Updated(detail), cancellationToken);
                break;
        }

        return null;
    }

    /// <summary>
    /// Puts the event behind a waiting room, or changes its settings, until its sale ends (a
    /// closed or cancelled event: 409). Omitted settings take their defaults.
    /// </summary>
    private static async Task<Results<Ok<EventDetail>, ValidationProblem, NotFound, ProblemHttpResult>> SetWaitingRoom(
        Guid id, WaitingRoomRequest request, ClaimsPrincipal user, NpgsqlDataSource db, OutboxWriter outbox, CatalogCache cache, CancellationToken cancellationToken)
    {
        request = request.Normalized();
        await using var change = await SettingChange.BeginAsync(db, id, user.OrganizerId(), "waiting room", cancellationToken);
        if (change is null)
        {
            return TypedResults.NotFound();
        }

        if (change.Refusal is { } refused)
        {
            return refused;
        }

        if (WaitingRoomRules.Check(request, change.SaleOpensAt) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var room = WaitingRoomRules.Resolve(request, change.SaleOpensAt);
        return TypedResults.Ok((await change.CommitAsync(transaction => EventStore.SetWaitingRoomAsync(transaction, id, room, cancellationToken), outbox, cache, cancellationToken))!);
    }

    /// <summary>Takes the event out of its waiting room until its sale ends (409 after). Without one, nothing changes.</summary>
    private static Task<Results<NoContent, NotFound, ProblemHttpResult>> RemoveWaitingRoom(
        Guid id, ClaimsPrincipal user, NpgsqlDataSource db, OutboxWriter outbox, CatalogCache cache, CancellationToken cancellationToken) =>
        RemoveSettingAsync(id, user.OrganizerId(), "waiting room", transaction => EventStore.SetWaitingRoomAsync(transaction, id, null, cancellationToken), db, outbox, cache, cancellationToken);

    /// <summary>
    /// Sets or changes the event's ticket limit until its sale ends (a closed or cancelled event:
    /// 409). Booking applies it to the holds it takes once the change reaches it; what buyers
    /// hold or own already stays theirs.
    /// </summary>
    private static async Task<Results<Ok<EventDetail>, NotFound, ProblemHttpResult>> SetTicketLimit(
        Guid id, TicketLimitRequest request, ClaimsPrincipal user, NpgsqlDataSource db, OutboxWriter outbox, CatalogCache cache, CancellationToken cancellationToken)
    {
        await using var change = await SettingChange.BeginAsync(db, id, user.OrganizerId(), "ticket limit", cancellationToken);
        if (change is null)
        {
            return TypedResults.NotFound();
        }

        if (change.Refusal is { } refused)
        {
            return refused;
        }

        return TypedResults.Ok((await change.CommitAsync(transaction => EventStore.SetTicketLimitAsync(transaction, id, request.TicketLimit, cancellationToken), outbox, cache, cancellationToken))!);
    }

    /// <summary>Takes the event's ticket limit away until its sale ends (409 after): booking's own cap applies. Without one, nothing changes.</summary>
    private static Task<Results<NoContent, NotFound, ProblemHttpResult>> RemoveTicketLimit(
        Guid id, ClaimsPrincipal user, NpgsqlDataSource db, OutboxWriter outbox, CatalogCache cache, CancellationToken cancellationToken) =>
        RemoveSettingAsync(id, user.OrganizerId(), "ticket limit", transaction => EventStore.SetTicketLimitAsync(transaction, id, null, cancellationToken), db, outbox, cache, cancellationToken);

    /// <summary>The <c>DELETE</c> of a setting: 204 whether or not there was one to remove.</summary>
    private static async Task<Results<NoContent, NotFound, ProblemHttpResult>> RemoveSettingAsync(
        Guid id, string organizerId, string setting, Func<NpgsqlTransaction, Task<bool>> remove, NpgsqlDataSource db, OutboxWriter outbox, CatalogCache cache, CancellationToken cancellationToken)
    {
        await using var change = await SettingChange.BeginAsync(db, id, organizerId, setting, cancellationToken);
        if (change is null)
        {
            return TypedResults.NotFound();
        }

        if (change.Refusal is { } refused)
        {
            return refused;
        }

        await change.CommitAsync(remove, outbox, cache, cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// An organizer's event, its row locked until the transaction ends, for a change of a setting
    /// that may change until its sale ends: the waiting room, the ticket limit. A change of a
    /// published or on-sale event is announced to booking and the waiting room (EventUpdated,
    /// through the outbox, in the same transaction); a draft's settings are announced when it is
    /// published.
    /// </summary>
    private sealed class SettingChange(NpgsqlConnection connection, Guid id, string organizerId) : IAsyncDisposable
    {
        private NpgsqlTransaction? _transaction;

        public DateTimeOffset SaleOpensAt { get; private set; }

        /// <summary>The 409 when the event's sale has ended (closed or cancelled); null while its settings may change.</summary>
        public ProblemHttpResult? Refusal { get; private set; }

        /// <summary>The organizer's event locked for a change of <paramref name="setting"/>; null when it is not theirs (404, whatever its state).</summary>
        public static async Task<SettingChange?> BeginAsync(NpgsqlDataSource db, Guid id, string organizerId, string setting, CancellationToken cancellationToken)
        {
            var change = new SettingChange(await db.OpenConnectionAsync(cancellationToken), id, organizerId);
            try
            {
                if (await change.LockAsync(setting, cancellationToken))
                {
                    return change;
                }
            }
            catch
            {
                await change.DisposeAsync();
                throw;
            }

            await change.DisposeAsync();
            return null;
        }

        /// <summary>
        /// Makes the change in the transaction. When it changed the event: announces it, commits,
        /// and drops the event's cached reads (this replica at once, the others when the event
        /// reaches them through Kafka). The event as it is now; null when nothing changed (nothing
        /// is committed).
        /// </summary>
        public async Task<EventDetail?> CommitAsync(Func<NpgsqlTransaction, Task<bool>> change, OutboxWriter outbox, CatalogCache cache, CancellationToken cancellationToken)
        {
            var transaction = _transaction!;
            if (!await change(transaction))
            {
                return null;
            }

            var detail = (await EventStore.FindAsync(connection, transaction, id, organizerId, cancellationToken))!;
            if (detail.Status is EventStatus.Published or EventStatus.OnSale)
            {
                await outbox.EnqueueAsync(connection, transaction, EventMessages.Updated(detail), cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            await cache.InvalidateEventAsync(id, CancellationToken.None);
            return detail;
        }

        public async ValueTask DisposeAsync()
        {
            if (_transaction is not null)
            {
                await _transaction.DisposeAsync();
            }

            await connection.DisposeAsync();
        }

        private async Task<bool> LockAsync(string setting, CancellationToken cancellationToken)
        {
            _transaction = await connection.BeginTransactionAsync(cancellationToken);
            if (await EventStore.LockAsync(_transaction, id, organizerId, cancellationToken) is not { } current)
            {
                return false;
            }

            SaleOpensAt = current.SaleOpensAt;
            Refusal = current.Status is EventStatus.Closed or EventStatus.Cancelled
                ? Conflict(current.Status, $"The {setting} of an event that is {current.Status.Name()} cannot change.")
                : null;
            return true;
        }
    }

    private static ProblemHttpResult Conflict(EventStatus status, string detail) =>
        Problems.Of(ProblemTypes.EventState,
            title: "The event is not in a state that allows this.",
            detail: detail,
            extensions: new Dictionary<string, object?> { ["eventStatus"] = status.Name() });
}

/// <summary>The life cycle: draft → published → on-sale → closed, and cancelled from any state before closed.</summary>
internal sealed record EventTransition(string Action, string Verb, EventStatus To, EventStatus[] From, string EndpointName, string Summary)
{
    public static readonly IReadOnlyList<EventTransition> All =
    [
        new("publish", "be published", EventStatus.Published, [EventStatus.Draft], "PublishEvent", "Makes a draft public and announces its inventory to booking."),
        new("open-sale", "open its sale", EventStatus.OnSale, [EventStatus.Published], "OpenSale", "Starts selling a published event."),
        new("close", "close its sale", EventStatus.Closed, [EventStatus.OnSale], "CloseSale", "Stops selling an event."),
        new("cancel", "be cancelled", EventStatus.Cancelled, [EventStatus.Draft, EventStatus.Published, EventStatus.OnSale], "CancelEvent", "Cancels an event that has not closed."),
    ];
}

internal static class EventMessages
{
    /// <summary>The whole sellable inventory: every section a tier prices, with its rows or capacity.</summary>
    public static EventPublished Published(EventDetail detail, string organizerId, VenueDetail venue)
    {
        var tierOf = detail.TierBySection();
        return new EventPublished(
            detail.Id, detail.Version, organizerId, detail.Name, venue.Id, venue.Name, venue.City,
            detail.StartsAt, detail.SaleOpensAt, detail.SaleClosesAt, detail.Currency,
            [.. detail.Tiers.Select(tier => new PublishedTier(tier.Id, tier.Name, tier.Price))],
            [.. venue.Sections.Where(section => tierOf.ContainsKey(section.Name))
                .Select(section => new PublishedSection(section.Name, section.Kind, section.Capacity, tierOf[section.Name], section.Rows))],
            detail.WaitingRoom,
            detail.TicketLimit);
    }

    /// <summary>The event's state, sale window, waiting room and ticket limit as they are now.</summary>
    public static EventUpdated Updated(EventDetail detail) =>
        new(detail.Id, detail.Version, detail.Status, detail.SaleOpensAt, detail.SaleClosesAt, detail.WaitingRoom, detail.TicketLimit);
}
