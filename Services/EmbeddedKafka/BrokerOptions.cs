using System.ComponentModel.DataAnnotations;

namespace Boxoffice.EmbeddedKafka;

internal sealed class BrokerOptions
{
    public const string Section = "Broker";

    /// <summary>The port clients bootstrap through (the forwarder's); the broker advertises its own listener in metadata.</summary>
    [Range(1, 65535)]
    public int KafkaPort { get; set; }

    /// <summary>The address the forwarder's port is bound to.</summary>
    [Required]
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Partitions of each topic created at start (the application's topics and <see cref="ExtraTopics"/>).</summary>
    [Range(1, 64)]
    public int Partitions { get; set; } = 6;

    /// <summary>Topics to create besides the application's own (Boxoffice.Contracts.Topics.All).</summary>
    public List<string> ExtraTopics { get; set; } = [];
}
