using Boxoffice.AppHost;
using Boxoffice.AppHost.Infrastructure;

// The dependency graph of Boxoffice: infrastructure first, then each service with what it uses.
var builder = DistributedApplication.CreateBuilder(args);

Infrastructure infra;
try
{
    infra = Infrastructure.Add(builder, InfraModeSelector.Select(builder));
}
catch (InfraUnavailableException unavailable)
{
    Console.Error.WriteLine(unavailable.Message);
    return 1;
}

var catalogDb = infra.AddDatabase("catalogdb");

var catalog = builder.AddService<Projects.Catalog>("catalog")
    .WithReference(catalogDb).WaitFor(catalogDb)
    .WithReference(infra.Redis).WaitFor(infra.Redis)
    .WithReference(infra.Kafka).WaitFor(infra.Kafka);

builder.AddService<Projects.Gateway>("gateway")
    .WithReference(catalog).WaitFor(catalog)
    .WithExternalHttpEndpoints();

builder.Build().Run();
return 0;
