using System.Text;
using Boxoffice.Contracts;
using Boxoffice.Contracts.Payments;
using Boxoffice.Messaging;
using Boxoffice.Messaging.Inbox;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Boxoffice.UnitTests.Messaging;

/// <summary>
/// The inbox takes an event only from the source its route names, and checks it before anything
/// is recorded: an untrusted event is poison (dead-lettered at once) and never reaches the
/// database. The data source here points nowhere and is never opened, so a test that ends in
/// <see cref="PoisonMessageException"/> proves nothing was written.
/// </summary>
public sealed class InboxSourceTests
{
    private static readonly Guid Id = Guid.Parse("0199a3c4-5b6d-7e8f-9012-3456789abcde");

    [Theory]
    [InlineData(EventSources.Booking)]
    [InlineData(EventSources.Catalog)]
    [InlineData("/boxoffice/payments/")]
    [InlineData("/BOXOFFICE/PAYMENTS")]
    [InlineData("")]
    public async Task An_event_from_another_source_is_poison_and_names_both_sources(string source)
    {
        var poison = await Assert.ThrowsAsync<PoisonMessageException>(() => HandleAsync(CloudEvent.Serialize(new PaymentFailed(Guid.NewGuid(), "declined"), Id, source, DateTimeOffset.UnixEpoch)));

        Assert.Equal(
            $"Untrusted source: the 'boxoffice.payments.payment-failed' event {Id} has source '{source}', but booking-payments takes it only from '{EventSources.Payments}'.",
            poison.Message);
    }

    [Fact]
    public async Task An_event_without_a_source_is_poison()
    {
        var envelope = $$$"""{"specversion":"1.0","id":"{{{Id}}}","type":"boxoffice.payments.payment-failed","subject":"s","time":"2026-01-01T00:00:00+00:00","datacontenttype":"application/json","dataschema":"d","data":{"orderId":"{{{Guid.NewGuid()}}}","reason":"declined"}}""";

        var poison = await Assert.ThrowsAsync<PoisonMessageException>(() => HandleAsync(Encoding.UTF8.GetBytes(envelope)));

        Assert.Contains("has source (none)", poison.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_huge_forged_source_is_quoted_cut_short()
    {
        var source = new string('x', 500_000);

        var poison = await Assert.ThrowsAsync<PoisonMessageException>(() => HandleAsync(CloudEvent.Serialize(new PaymentFailed(Guid.NewGuid(), "declined"), Id, source, DateTimeOffset.UnixEpoch)));

        Assert.Contains($"has source '{new string('x', 100)}…', but", poison.Message, StringComparison.Ordinal);
        Assert.True(poison.Message.Length < 400);
    }

    [Fact]
    public async Task An_event_type_without_a_route_is_skipped_whatever_its_source()
    {
        await HandleAsync(CloudEvent.Serialize(new PaymentRefunded(Guid.NewGuid(), "c", "r", 1m, "EUR"), Id, "/anyone", DateTimeOffset.UnixEpoch));
    }

    private static async Task HandleAsync(byte[] payload)
    {
        await using var nowhere = NpgsqlDataSource.Create("Host=nowhere.invalid;Database=none");
        await using var services = new ServiceCollection().BuildServiceProvider();
        var routes = new InboxRoutes().On<PaymentFailed, Handler>(from: EventSources.Payments);
        var dispatcher = new InboxDispatcher("booking-payments", routes, nowhere, services);
        var message = new ConsumeResult<string, byte[]> { Topic = Topics.Payments, Message = new Message<string, byte[]> { Key = "k", Value = payload } };

        await dispatcher.HandleAsync(message, TestContext.Current.CancellationToken);
    }

    private sealed class Handler : IIntegrationEventHandler<PaymentFailed>
    {
        public Task HandleAsync(CloudEvent<PaymentFailed> message, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("An untrusted event reached its handler.");
    }
}
