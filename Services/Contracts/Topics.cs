namespace Boxoffice.Contracts;

/// <summary>
/// Kafka topic names. Every topic has a retry topic and a dead-letter topic beside it; the names
/// are part of the contract, so they are spelled out here once rather than derived per service.
/// </summary>
public static class Topics
{
    public const string CatalogEvents = "catalog.events";
    public const string BookingOrders = "booking.orders";
    public const string Payments = "payments";

    public const string RetrySuffix = ".retry";
    public const string DeadLetterSuffix = ".dlq";

    /// <summary>The main topics, one per publishing service.</summary>
    public static IReadOnlyList<string> Main { get; } = [CatalogEvents, BookingOrders, Payments];

    /// <summary>Every topic the application uses: each main topic with its retry and dead-letter topics.</summary>
    public static IReadOnlyList<string> All { get; } =
        [.. Main.SelectMany(topic => new[] { topic, Retry(topic), DeadLetter(topic) })];

    public static string Retry(string topic) => topic + RetrySuffix;

    public static string DeadLetter(string topic) => topic + DeadLetterSuffix;
}
