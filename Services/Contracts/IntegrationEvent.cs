namespace Boxoffice.Contracts;

/// <summary>
/// An integration event: something that happened in one service that others may react to.
/// Concrete events are sealed records named in the past tense. On the wire the event travels in
/// a CloudEvents 1.0 envelope whose <c>type</c> is <see cref="IntegrationEventAttribute.Type"/>,
/// never a .NET type name, so services can rename classes without breaking consumers.
/// </summary>
public interface IIntegrationEvent
{
    /// <summary>The aggregate the event is about; it is the Kafka message key, so events of one aggregate stay in order.</summary>
    string AggregateId { get; }
}

/// <summary>Names an integration event on the wire and the topic it is published to.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class IntegrationEventAttribute(string type, string topic, int version = 1) : Attribute
{
    /// <summary>The CloudEvents <c>type</c>, e.g. <c>boxoffice.catalog.event-published</c>.</summary>
    public string Type { get; } = type;

    public string Topic { get; } = topic;

    /// <summary>The schema version; a breaking change adds a new version instead of changing this one.</summary>
    public int Version { get; } = version;
}
