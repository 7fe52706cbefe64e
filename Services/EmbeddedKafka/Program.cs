using Boxoffice.EmbeddedKafka;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

var builder = WebApplication.CreateSlimBuilder(args);

builder.Services.AddOptions<BrokerOptions>()
    .BindConfiguration(BrokerOptions.Section)
    .ValidateDataAnnotations()
    .ValidateOnStart();
builder.Services.AddSingleton<MockCluster>();
builder.Services.AddSingleton<KafkaForwarder>();
builder.Services.AddHostedService(services => services.GetRequiredService<KafkaForwarder>());
builder.Services.AddHealthChecks().AddCheck<BrokerHealthCheck>("broker");

var app = builder.Build();

// Created before the forwarder starts listening, so the first client finds topics in place.
app.Services.GetRequiredService<MockCluster>();

// Alive: the process answers. Health: the broker accepts Kafka clients.
app.MapHealthChecks("/alive", new HealthCheckOptions { Predicate = _ => false });
app.MapHealthChecks("/health");
app.MapBrokerControlApi();

app.Run();
