using Boxoffice.Messaging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Boxoffice.Tests.Messaging;

/// <summary>The application's own publisher (Boxoffice.Messaging), registered the way a service registers it.</summary>
internal sealed class KafkaTestPublisher : IDisposable
{
    private readonly IHost _host;

    public KafkaTestPublisher(string kafka)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection([new("ConnectionStrings:kafka", kafka)]);
        builder.AddKafkaProducer();
        _host = builder.Build();
        Publisher = _host.Services.GetRequiredService<KafkaPublisher>();
    }

    public KafkaPublisher Publisher { get; }

    public void Dispose() => _host.Dispose();
}
