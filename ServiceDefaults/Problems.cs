using Microsoft.AspNetCore.Http.HttpResults;

namespace Microsoft.AspNetCore.Http;

/// <summary>
/// One kind of error answer: its stable name (the last segment of the problem's <c>type</c> URI),
/// the status it is answered with, and what it means to a client. The whole list is
/// <see cref="ProblemTypes.All"/>, documented in docs/problems.md.
/// </summary>
public sealed record ProblemType(string Name, int Status, string Meaning)
{
    /// <summary>The problem's <c>type</c>: an absolute URI under <see cref="Problems.TypeBase"/>.</summary>
    public string Uri { get; } = Problems.TypeBase + Name;
}

/// <summary>Builds RFC 9457 problem answers of the catalogue's types.</summary>
public static class Problems
{
    /// <summary>Where every Boxoffice problem type lives.</summary>
    public const string TypeBase = "https://boxoffice.dev/problems/";

    /// <summary>A problem of <paramref name="type"/>, answered with the type's status.</summary>
    public static ProblemHttpResult Of(ProblemType type, string title, string? detail = null, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(statusCode: type.Status, title: title, detail: detail, type: type.Uri, extensions: extensions);

    /// <summary>
    /// Writes a problem of <paramref name="type"/> for an exception an <c>IExceptionHandler</c>
    /// took: its status, the type's URI, and the title and detail given (never the exception's text).
    /// </summary>
    public static async ValueTask<bool> WriteProblemAsync(
        this IProblemDetailsService problems, HttpContext httpContext, Exception exception, ProblemType type, string title, string detail)
    {
        httpContext.Response.StatusCode = type.Status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = type.Status, Title = title, Detail = detail, Type = type.Uri },
        });
    }

    /// <summary>404: no such thing, or not the caller's (it is not told which).</summary>
    public static ProblemHttpResult NotFound(string what) => Of(ProblemTypes.NotFound, $"No such {what}.");
}

/// <summary>
/// Every problem type a Boxoffice service answers with, in one place. A new kind of error gets an
/// entry here and a line in docs/problems.md (a unit test keeps the two equal). Validation errors
/// (400) use ASP.NET Core's own validation problem, not one of these.
/// </summary>
public static class ProblemTypes
{
    // Any service
    public static readonly ProblemType NotFound = new("not-found", StatusCodes.Status404NotFound,
        "The resource does not exist, or it is not the caller's: another buyer's hold, order or ticket is answered the same way.");
    public static readonly ProblemType Unavailable = new("unavailable", StatusCodes.Status503ServiceUnavailable,
        "A database the service needs is briefly unreachable (restarting). Nothing was changed; retry after Retry-After.");
    public static readonly ProblemType UnstorableText = new("unstorable-text", StatusCodes.Status400BadRequest,
        "A text value holds a character no text may hold (NUL: \\u0000 in JSON, %00 in a URL or a form), or identity cannot read the form. Nothing was done.");
    public static readonly ProblemType IdempotencyKeyReused = new("idempotency-key-reused", StatusCodes.Status422UnprocessableEntity,
        "The Idempotency-Key was already used for a different request. A retry sends the same request; a new request needs a new key.");

    // Operators' messaging API (any service with an outbox or a consumer)
    public static readonly ProblemType NotParked = new("not-parked", StatusCodes.Status409Conflict,
        "Only an outbox row the broker refused (parked) can be replayed; the relay sends the others by itself. `outboxStatus` says what the row is.");
    public static readonly ProblemType BrokerUnavailable = new("broker-unavailable", StatusCodes.Status503ServiceUnavailable,
        "Kafka did not answer in time. Nothing was changed; retry after Retry-After.");

    // Gateway
    public static readonly ProblemType RateLimited = new("rate-limited", StatusCodes.Status429TooManyRequests,
        "Too many requests from this caller for this route; retry after Retry-After.");
    public static readonly ProblemType BodyTooLarge = new("body-too-large", StatusCodes.Status413PayloadTooLarge,
        "The request body is larger than the route accepts.");

    // Identity
    public static readonly ProblemType AccountExists = new("account-exists", StatusCodes.Status409Conflict,
        "An account with this e-mail address exists already.");
    public static readonly ProblemType HostNotAllowed = new("host-not-allowed", StatusCodes.Status400BadRequest,
        "The request's Host is not one of the identity server's names (its issuer's host, or an internal name). Nothing was done.");

    // Catalog
    public static readonly ProblemType EventState = new("event-state", StatusCodes.Status409Conflict,
        "The event's status does not allow this change (only a draft is edited; a life-cycle step starts from the status it names).");
    public static readonly ProblemType OrganizerQuota = new("organizer-quota", StatusCodes.Status429TooManyRequests,
        "The organizer created as many venues or events as one organizer may within the window (`limit`); create again after Retry-After.");
    public static readonly ProblemType InventoryTooLarge = new("inventory-too-large", StatusCodes.Status422UnprocessableEntity,
        "The event would have more sellable places than one event may have.");

    // Booking
    public static readonly ProblemType SaleNotOpen = new("sale-not-open", StatusCodes.Status409Conflict,
        "The event is not on sale: before or after its sale window, not on sale yet, closed, or cancelled.");
    public static readonly ProblemType SoldOut = new("sold-out", StatusCodes.Status409Conflict,
        "Fewer places are free in the tier than asked for; `available` says how many are.");
    public static readonly ProblemType SeatsUnavailable = new("seats-unavailable", StatusCodes.Status409Conflict,
        "Some of the named seats are held or sold; `seats` lists them.");
    public static readonly ProblemType BuyerLimit = new("buyer-limit", StatusCodes.Status409Conflict,
        "The hold would take the buyer over the places one buyer may hold or own of the event: its ticket limit, never more than booking's own cap (`limit`, `held`).");
    public static readonly ProblemType AbandonedHolds = new("abandoned-holds", StatusCodes.Status429TooManyRequests,
        "The buyer released or let expire as many holds on the event as booking allows within its window (`abandoned`); hold again after Retry-After.");
    public static readonly ProblemType UnknownTier = new("unknown-tier", StatusCodes.Status422UnprocessableEntity,
        "The tier is not one of the event's tiers.");
    public static readonly ProblemType UnknownSeats = new("unknown-seats", StatusCodes.Status422UnprocessableEntity,
        "Some of the named seats are not sold for this event.");
    public static readonly ProblemType HoldState = new("hold-state", StatusCodes.Status409Conflict,
        "The hold cannot do this in its state (`holdStatus`): an expired or released hold cannot become an order, an ordered one cannot be released.");
    public static readonly ProblemType InvalidTicketCode = new("invalid-ticket-code", StatusCodes.Status422UnprocessableEntity,
        "The code is malformed, altered, or not signed by Boxoffice.");
    public static readonly ProblemType AlreadyCheckedIn = new("already-checked-in", StatusCodes.Status409Conflict,
        "The ticket was checked in before; `checkedInAt` says when.");
    public static readonly ProblemType TicketVoid = new("ticket-void", StatusCodes.Status409Conflict,
        "The ticket's order was cancelled (its event was cancelled) and refunded.");
    public static readonly ProblemType NotStaffOfEvent = new("not-staff-of-event", StatusCodes.Status403Forbidden,
        "The staff account does not work this ticket's event (its token's `works_for` names neither the event nor its organizer). The scan is recorded; the ticket is unchanged.");

    // Waiting room (the gateway and booking enforce admission; the waiting room queues)
    public static readonly ProblemType AdmissionRequired = new("admission-required", StatusCodes.Status403Forbidden,
        "The event sells through a waiting room: holds and orders need the buyer's own, unexpired admission to it in the Boxoffice-Admission header. `queue` names where to join; `reason` says what was wrong.");
    public static readonly ProblemType InvalidQueueTicket = new("invalid-queue-ticket", StatusCodes.Status422UnprocessableEntity,
        "The Boxoffice-Queue-Ticket header is missing, malformed, altered, or the ticket is another event's or another buyer's.");
    public static readonly ProblemType ProofOfWorkFailed = new("proof-of-work-failed", StatusCodes.Status422UnprocessableEntity,
        "The event's queue asks for a proof of work: the challenge is missing, expired, altered, another buyer's or event's, or the solution does not solve it. Get a new one from `challenge`.");
    public static readonly ProblemType QueueNotOpen = new("queue-not-open", StatusCodes.Status409Conflict,
        "The queue takes no one now: its pre-queue has not opened yet (`opensAt`), or the sale has ended (`eventStatus`).");

    // Payment provider (the stand-in for a third party)
    public static readonly ProblemType InvalidApiKey = new("invalid-api-key", StatusCodes.Status401Unauthorized,
        "The provider's API key is missing or wrong.");
    public static readonly ProblemType ProviderUnavailable = new("provider-unavailable", StatusCodes.Status503ServiceUnavailable,
        "The provider failed (or was told to fail); nothing was recorded or charged. Retry with the same Idempotency-Key.");
    public static readonly ProblemType ChargeInProgress = new("charge-in-progress", StatusCodes.Status409Conflict,
        "A charge with this Idempotency-Key is still being processed; retry with the same key after Retry-After.");
    public static readonly ProblemType ChargeNotFound = new("charge-not-found", StatusCodes.Status404NotFound,
        "No charge has this Idempotency-Key.");
    public static readonly ProblemType RefundNotFound = new("refund-not-found", StatusCodes.Status404NotFound,
        "No refund has this Idempotency-Key.");
    public static readonly ProblemType ChargeNotRefundable = new("charge-not-refundable", StatusCodes.Status409Conflict,
        "Only a succeeded charge can be refunded; `chargeStatus` says what it is.");
    public static readonly ProblemType RefundExceedsCharge = new("refund-exceeds-charge", StatusCodes.Status409Conflict,
        "The refund is more than what remains of the charge; `refundableAmount` says how much does.");

    /// <summary>The whole catalogue, in the order docs/problems.md lists it.</summary>
    public static IReadOnlyList<ProblemType> All { get; } =
    [
        NotFound, Unavailable, UnstorableText, IdempotencyKeyReused,
        NotParked, BrokerUnavailable,
        RateLimited, BodyTooLarge,
        AccountExists, HostNotAllowed,
        EventState, InventoryTooLarge, OrganizerQuota,
        SaleNotOpen, SoldOut, SeatsUnavailable, BuyerLimit, AbandonedHolds, UnknownTier, UnknownSeats, HoldState, InvalidTicketCode, AlreadyCheckedIn, TicketVoid, NotStaffOfEvent,
        AdmissionRequired, InvalidQueueTicket, ProofOfWorkFailed, QueueNotOpen,
        InvalidApiKey, ProviderUnavailable, ChargeInProgress, ChargeNotFound, RefundNotFound, ChargeNotRefundable, RefundExceedsCharge,
    ];
}
