namespace Boxoffice.Contracts.Catalog;

/// <summary>
/// An event status by name, as it is written on the wire (kebab-case) and stored by the catalog
/// and booking alike: one spelling for every service.
/// </summary>
public static class EventStatusNames
{
    public const string Draft = "draft";
    public const string Published = "published";
    public const string OnSale = "on-sale";
    public const string Closed = "closed";
    public const string Cancelled = "cancelled";

    public static string Name(this EventStatus status) => status switch
    {
        EventStatus.Draft => Draft,
        EventStatus.Published => Published,
        EventStatus.OnSale => OnSale,
        EventStatus.Closed => Closed,
        EventStatus.Cancelled => Cancelled,
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    public static EventStatus Parse(string name) => name switch
    {
        Draft => EventStatus.Draft,
        Published => EventStatus.Published,
        OnSale => EventStatus.OnSale,
        Closed => EventStatus.Closed,
        Cancelled => EventStatus.Cancelled,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown event status."),
    };
}
