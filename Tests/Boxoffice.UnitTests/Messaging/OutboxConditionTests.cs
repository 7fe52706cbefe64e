using Boxoffice.Contracts.Booking;
using Boxoffice.Messaging.Outbox;
using Microsoft.Extensions.Options;

namespace Boxoffice.UnitTests.Messaging;

/// <summary>
/// A conditional outbox write (booking's hold event, written only if the hold was recorded): the
/// condition names its parameter, and the writer numbers it after its own statement's.
/// </summary>
public sealed class OutboxConditionTests
{
    private static readonly Guid HoldId = Guid.Parse("0199a3c4-5b6d-7e8f-9012-3456789abcde");

    [Fact]
    public void The_condition_is_numbered_after_the_rows_parameters_and_sent_with_them()
    {
        var writer = new OutboxWriter(Options.Create(new OutboxOptions { Source = "/boxoffice/booking" }), TimeProvider.System);
        var hold = new HoldCreated(HoldId, Guid.NewGuid(), "buyer-1", 2, DateTimeOffset.UnixEpoch);

        var (_, statements) = writer.Statements(hold, wakeRelay: false, onlyIf: new OutboxCondition("EXISTS (SELECT 1 FROM holds WHERE hold_id = {parameter})", HoldId));

        var insert = Assert.Single(statements);
        Assert.EndsWith("WHERE EXISTS (SELECT 1 FROM holds WHERE hold_id = $8)", insert.CommandText, StringComparison.Ordinal);
        Assert.Equal(8, insert.Parameters.Count);
        Assert.Equal(HoldId, insert.Parameters[7].Value);
    }

    [Theory]
    [InlineData("EXISTS (SELECT 1 FROM holds WHERE hold_id = $8)")]
    [InlineData("EXISTS (SELECT 1 FROM holds WHERE hold_id = {parameter} AND message_id = $1)")]
    public void A_condition_that_does_not_name_its_one_parameter_alone_is_refused_when_made(string sql)
    {
        var refused = Assert.Throws<ArgumentException>(() => new OutboxCondition(sql, HoldId));

        Assert.Contains("{parameter}", refused.Message, StringComparison.Ordinal);
    }
}
