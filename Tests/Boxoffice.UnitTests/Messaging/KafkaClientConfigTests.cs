using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Boxoffice.UnitTests.Messaging;

/// <summary>
/// Every Kafka client of a service (producer, consumers, the dead-letter reader, the health
/// check) signs in with the service's own login where the broker asks for one: the AppHost puts
/// it under Messaging:Kafka:Client in containers mode (docs/adr/0013-kafka-logins.md).
/// </summary>
public sealed class KafkaClientConfigTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(setting => KeyValuePair.Create(setting.Key, (string?)setting.Value)))
            .Build();

    private static readonly (string, string)[] Login =
    [
        ("ConnectionStrings:kafka", "kafka.internal:9092"),
        ("Messaging:Kafka:Client:SecurityProtocol", "SaslPlaintext"),
        ("Messaging:Kafka:Client:SaslMechanism", "Plain"),
        ("Messaging:Kafka:Client:SaslUsername", "booking"),
        ("Messaging:Kafka:Client:SaslPassword", "booking-secret"),
    ];

    [Fact]
    public void Producers_and_consumers_take_the_services_login_and_their_own_settings()
    {
        var configuration = Configuration([.. Login, ("Messaging:Kafka:Producer:LingerMs", "7"), ("Messaging:Kafka:Consumer:FetchWaitMaxMs", "50")]);

        var producer = KafkaExtensions.ClientConfig<ProducerConfig>(configuration, "kafka", "Messaging:Kafka:Producer");
        var consumer = KafkaExtensions.ClientConfig<ConsumerConfig>(configuration, "kafka", "Messaging:Kafka:Consumer");
        var shared = KafkaExtensions.ClientConfig<ClientConfig>(configuration, "kafka", section: null);

        foreach (var config in new ClientConfig[] { producer, consumer, shared })
        {
            Assert.Equal("kafka.internal:9092", config.BootstrapServers);
            Assert.Equal(SecurityProtocol.SaslPlaintext, config.SecurityProtocol);
            Assert.Equal(SaslMechanism.Plain, config.SaslMechanism);
            Assert.Equal("booking", config.SaslUsername);
            Assert.Equal("booking-secret", config.SaslPassword);
        }

        Assert.Equal(7, producer.LingerMs);
        Assert.Equal(50, consumer.FetchWaitMaxMs);
    }

    [Fact]
    public void Librdkafka_accepts_the_login_settings()
    {
        var configuration = Configuration(Login);

        using var producer = new ProducerBuilder<string, byte[]>(KafkaExtensions.ClientConfig<ProducerConfig>(configuration, "kafka", "Messaging:Kafka:Producer")).Build();
        using var admin = new AdminClientBuilder(new AdminClientConfig(KafkaExtensions.ClientConfig<ClientConfig>(configuration, "kafka", section: null))).Build();

        Assert.NotNull(producer.Name);
        Assert.NotNull(admin.Name);
    }

    [Fact]
    public void Without_a_login_clients_speak_plaintext_as_with_the_embedded_broker()
    {
        var config = KafkaExtensions.ClientConfig<ConsumerConfig>(Configuration(("ConnectionStrings:kafka", "127.0.0.1:9092")), "kafka", "Messaging:Kafka:Consumer");

        Assert.Equal("127.0.0.1:9092", config.BootstrapServers);
        Assert.Null(config.SecurityProtocol);
        Assert.Null(config.SaslUsername);
    }

    [Fact]
    public void A_missing_connection_string_says_which_one()
    {
        var missing = Assert.Throws<InvalidOperationException>(() => KafkaExtensions.ClientConfig<ProducerConfig>(Configuration(), "kafka", null));

        Assert.Contains("ConnectionStrings:kafka", missing.Message);
    }
}
