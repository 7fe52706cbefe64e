using System.ComponentModel.DataAnnotations;

namespace Boxoffice.EmbeddedKafka;

internal sealed class BrokerOptions
{
    public const string Section = "Broker";

    /// <summary>The port clients connect to; the broker advertises it in metadata.</summary>
    [Range(1, 65535)]
    public int KafkaPort { get; set; }

    /// <summary>The address the port is bound to and advertised with.</summary>
    [Required]
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Partitions of each topic created at start (the application's topics and <see cref="ExtraTopics"/>).</summary>
    [Range(1, 64)]
    public int Partitions { get; set; } = 6;

    /// <summary>Topics to create besides the application's own (Boxoffice.Contracts.Topics.All).</summary>
    public List<string> ExtraTopics { get; set; } = [];
}
