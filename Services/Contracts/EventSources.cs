namespace Boxoffice.Contracts;

/// <summary>
/// The CloudEvents <c>source</c> of each publishing service: what its outbox writes into every
/// envelope (<c>AddOutbox(EventSources.Catalog)</c>), and what a consumer's inbox route requires
/// (<c>On&lt;TEvent, THandler&gt;(from: EventSources.Catalog)</c>). An event with another source
/// is dead-lettered unhandled. Spelled out here once, like the topics.
/// </summary>
public static class EventSources
{
    public const string Catalog = "/boxoffice/catalog";
    public const string Booking = "/boxoffice/booking";
    public const string Payments = "/boxoffice/payments";
}
