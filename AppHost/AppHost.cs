using Microsoft.Extensions.Configuration;
using Boxoffice.AppHost;
using Boxoffice.AppHost.Infrastructure;
using Boxoffice.AppHost.Monitoring;

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

var identityDb = infra.AddDatabase("identitydb");
var catalogDb = infra.AddDatabase("catalogdb");
var bookingDb = infra.AddDatabase("bookingdb");
var paymentsDb = infra.AddDatabase("paymentsdb");
var waitingRoomDb = infra.AddDatabase("waitingroomdb");

// The gateway is the only public entry; its public URL is the issuer of every access token.
var gateway = builder.AddEdgeService<Projects.Gateway>("gateway")
    .WithExternalHttpEndpoints()
    // Probes and the scrape stay inside: only the public endpoint goes out.
    .WithEndpoint(ServiceResources.ManagementEndpoint, endpoint => endpoint.IsExternal = false)
    .WithReplicas(builder.Configuration.GetValue("Gateway:Replicas", 1));
// Run: the gateway's own http address. Deployed: the platform's ingress ends TLS in front of the
// gateway, so its binding is not what clients call; the operator names the https address
// (public-url: a custom domain, or https://gateway.<the environment's domain>), and both issuers,
// identity's and the validators', are that.
var publicUrl = builder.ExecutionContext.IsPublishMode
    ? ReferenceExpression.Create($"{builder.AddParameter("public-url").Resource}")
    : ReferenceExpression.Create($"{gateway.GetEndpoint("http")}");
if (builder.ExecutionContext.IsRunMode)
{
    // Forwarded headers on, as every published project has them (Aspire sets
    // ASPNETCORE_FORWARDEDHEADERS_ENABLED), but believed from no one: here the gateway is the edge,
    // so a client's X-Forwarded-For never picks its rate-limit bucket (ForwardedHeadersTrust).
    gateway.WithEnvironment("ASPNETCORE_FORWARDEDHEADERS_ENABLED", "true")
        .WithEnvironment("ForwardedHeaders__KnownNetworks", "none");
}

// Seeded for development and first deployments; every secret is a generated secret parameter.
var organizerEmail = builder.AddParameter("organizer-email", "organizer@boxoffice.local", publishValueAsDefault: true);
var organizerPassword = builder.AddGeneratedSecret("organizer-password");
// The environment's door staff: checks in the tickets of the seeded organizer's events.
var staffEmail = builder.AddParameter("staff-email", "staff@boxoffice.local", publishValueAsDefault: true);
var staffPassword = builder.AddGeneratedSecret("staff-password");
var backofficeSecret = builder.AddGeneratedSecret("backoffice-client-secret");
// Signs queue tickets and admissions (waiting room); the gateway and booking check them with it.
var waitingRoomKey = builder.AddGeneratedSecret("waiting-room-signing-key", minLength: 32);
// Opens the waiting room's internal endpoints (queue snapshots, buyers seen) to the gateway alone.
var waitingRoomInternalKey = builder.AddGeneratedSecret("waiting-room-internal-key", minLength: 32);
// The storefront's client secret at the identity server (a confidential client: code flow with PKCE).
var storefrontSecret = builder.AddGeneratedSecret("storefront-client-secret");
// The operators' machine client (boxoffice-operator): lists and replays dead letters and parked outbox rows.
var operatorSecret = builder.AddGeneratedSecret("operator-client-secret");

var identity = builder.AddService<Projects.Identity>("identity")
    .WithReference(identityDb).WaitFor(identityDb)
    .WithReference(infra.Redis).WaitFor(infra.Redis)
    .WithEnvironment("Identity__Issuer", publicUrl)
    .WithEnvironment("Identity__RequireHttps", builder.ExecutionContext.IsRunMode ? "false" : "true")
    .WithEnvironment("Identity__Seed__organizer__Email", organizerEmail)
    .WithEnvironment("Identity__Seed__organizer__Password", organizerPassword)
    .WithEnvironment("Identity__Seed__staff__Email", staffEmail)
    .WithEnvironment("Identity__Seed__staff__Password", staffPassword)
    .WithEnvironment("Identity__Clients__organizer-backoffice__ClientSecret", backofficeSecret)
    .WithEnvironment("Identity__Clients__boxoffice-operator__ClientSecret", operatorSecret)
    // The storefront signs buyers in at the gateway's public URL and is sent back there.
    .WithEnvironment("Identity__Clients__boxoffice-storefront__ClientSecret", storefrontSecret)
    .WithEnvironment("Identity__Clients__boxoffice-storefront__RedirectUris__0", ReferenceExpression.Create($"{publicUrl}/signin-oidc"))
    .WithEnvironment("Identity__Clients__boxoffice-storefront__PostLogoutRedirectUris__0", ReferenceExpression.Create($"{publicUrl}/signout-callback-oidc"));
// The names services reach identity by (its endpoints, as the platform spells them): its host
// allow-list lets them in (HostAllowList), wherever it runs.
foreach (var endpoint in identity.Resource.Annotations.OfType<EndpointAnnotation>().Where(endpoint => endpoint.UriScheme is "http" or "https").Select((endpoint, index) => (endpoint.Name, index)))
{
    identity.WithEnvironment($"Identity__InternalUrls__{endpoint.index}", identity.GetEndpoint(endpoint.Name));
}
if (builder.ExecutionContext.IsRunMode)
{
    // One forwarded-headers middleware, as every published project has (Aspire sets the variable
    // there): identity reads the client's address from the gateway's X-Forwarded-For, one hop.
    identity.WithEnvironment("ASPNETCORE_FORWARDEDHEADERS_ENABLED", "true");

    // The flash-sale harness's machine client (Tests/FlashSale): it signs in a crowd of synthetic
    // buyers with client credentials. Development and CI only; a deployment never has it.
    identity
        .WithEnvironment("Identity__Clients__flash-sale-crowd__ClientSecret", builder.AddGeneratedSecret("crowd-client-secret"))
        .WithEnvironment("Identity__Clients__flash-sale-crowd__ActsForBuyers", "true")
        .WithIdentityClient("flash-sale-crowd", grantTypes: ["client_credentials"], scopes: ["booking", "catalog.read"]);

    // A public client for trying the code flow by hand (README) and for the tests' sign-ins: a
    // development tool, never deployed. Its callback need not exist: the code is in the address bar.
    identity.WithIdentityClient("boxoffice-web",
        grantTypes: ["authorization_code", "refresh_token"],
        scopes: ["openid", "profile", "email", "offline_access", "catalog.read", "catalog.write", "booking", "checkin", "webhooks"],
        redirectUris: ["http://localhost:5173/callback"],
        postLogoutRedirectUris: ["http://localhost:5173/"]);
}

var catalog = builder.AddService<Projects.Catalog>("catalog")
    .WithReplicas(builder.Configuration.GetValue("Catalog:Replicas", 1))
    .WithReference(catalogDb).WaitFor(catalogDb)
    .WithReference(infra.Redis).WaitFor(infra.Redis)
    .WithTokenValidation(identity, publicUrl);
if (builder.ExecutionContext.IsRunMode)
{
    // The API reference the catalog serves in Development, one click away in the dashboard.
    catalog.WithUrlForEndpoint("http", _ => new ResourceUrlAnnotation { Url = "/scalar", DisplayText = "API reference" });
}

var booking = builder.AddService<Projects.Booking>("booking")
    .WithReplicas(builder.Configuration.GetValue("Booking:Replicas", 1))
    .WithReference(bookingDb).WaitFor(bookingDb)
    .WithReference(infra.Redis).WaitFor(infra.Redis)
    .WithEnvironment("WaitingRoom__SigningKey", waitingRoomKey)
    .WithTokenValidation(identity, publicUrl);

// The waiting room in front of on-sale events (docs/adr/0010-waiting-room.md): it queues buyers and
// admits them at each event's rate; it asks booking whether anything is left to sell.
var waitingRoom = builder.AddService<Projects.WaitingRoom>("waiting-room")
    .WithReplicas(builder.Configuration.GetValue("WaitingRoom:Replicas", 1))
    .WithReference(waitingRoomDb).WaitFor(waitingRoomDb)
    .WithReference(booking)
    .WithEnvironment("WaitingRoom__SigningKey", waitingRoomKey)
    .WithEnvironment("WaitingRoom__InternalKey", waitingRoomInternalKey)
    .WithTokenValidation(identity, publicUrl);

// The stand-in for a third-party payment provider runs whenever the app runs (development, tests,
// the flash-sale harness). A published manifest has it only when asked (PaymentProvider:Deploy=true
// when publishing, for a demo); otherwise Payments calls the real provider at the parameter
// payment-provider-url, with the key that provider issued (asked for at deployment, never made up).
var standInProvider = builder.ExecutionContext.IsRunMode || builder.Configuration.GetValue("PaymentProvider:Deploy", false);
var providerApiKey = standInProvider
    ? builder.AddGeneratedSecret("payment-provider-api-key")
    : builder.AddParameter("payment-provider-api-key", secret: true);
var payments = builder.AddService<Projects.Payments>("payments")
    .WithReplicas(builder.Configuration.GetValue("Payments:Replicas", 1))
    .WithReference(paymentsDb).WaitFor(paymentsDb)
    .WithEnvironment("Payments__Provider__ApiKey", providerApiKey)
    // Only its operators' endpoints are reachable, through the gateway.
    .WithTokenValidation(identity, publicUrl)
    // Killed and started again by the tests' and the harness's faults: one instance is reached on
    // its own port, as the provider is (docs/adr/0023-provider-without-proxy.md); a restarted
    // payments was once left behind a proxy that never forwarded to it. Replicas keep the proxy.
    .WithoutProxyInRun();

IResourceBuilder<ProjectResource>? paymentProvider = null;
if (standInProvider)
{
    var providerDb = infra.AddDatabase("providerdb");
    // Its /admin routes (totals, chaos) take a key of their own, which Payments never holds.
    var providerAdminKey = builder.AddGeneratedSecret("payment-provider-admin-key");
    paymentProvider = builder.AddService<Projects.PaymentProvider>("payment-provider")
        // One instance, killed and started again by the tests' and the harness's faults.
        .WithoutProxyInRun()
        .WithReference(providerDb).WaitFor(providerDb)
        .WithEnvironment("PaymentProvider__ApiKey", providerApiKey)
        .WithEnvironment("PaymentProvider__AdminKey", providerAdminKey);
    if (builder.ExecutionContext.IsRunMode)
    {
        // The chaos API (PUT /admin/chaos) for the tests, the flash-sale harness's faults and
        // drills; a published stand-in leaves it off.
        paymentProvider.WithEnvironment("PaymentProvider__ChaosApiEnabled", "true");
    }

    // Not WaitFor: Payments copes with its provider away (retries, the breaker), as it must with a
    // real one, so the stand-in's start need not come before Payments' own.
    payments.WithReference(paymentProvider);
}
else
{
    payments.WithEnvironment("Payments__Provider__Url", builder.AddParameter("payment-provider-url"));
}

// The services that publish or consume events, each signed in to the broker as itself.
foreach (var service in new[] { catalog, booking, waitingRoom, payments })
{
    infra.WithKafka(service);
}

// The buyers' web pages at the gateway's "/" (docs/adr/0014-storefront.md): public reads straight from
// catalog, booking and the waiting room; what a buyer does through the gateway, with the buyer's token.
var storefront = builder.AddService<Projects.Storefront>("storefront")
    .WithReplicas(builder.Configuration.GetValue("Storefront:Replicas", 1))
    .WithReference(infra.Redis).WaitFor(infra.Redis)
    .WithReference(catalog)
    .WithReference(booking)
    .WithReference(waitingRoom)
    .WithReference(identity)
    .WithReference(gateway.GetEndpoint("http"))
    .WithEnvironment("Storefront__PublicUrl", publicUrl)
    .WithEnvironment("Storefront__ClientSecret", storefrontSecret);
if (builder.ExecutionContext.IsRunMode)
{
    // The buyer's address for identity's registration limit comes from the gateway's X-Forwarded-For (one hop).
    storefront.WithEnvironment("ASPNETCORE_FORWARDEDHEADERS_ENABLED", "true");
}

gateway
    // Not WaitFor: a storefront that cannot start must not keep the public API down.
    .WithReference(storefront)
    .WithReference(booking).WaitFor(booking)
    .WithReference(infra.Redis).WaitFor(infra.Redis)
    .WithReference(catalog).WaitFor(catalog)
    .WithReference(payments).WaitFor(payments)
    .WithReference(waitingRoom).WaitFor(waitingRoom)
    .WithEnvironment("WaitingRoom__SigningKey", waitingRoomKey)
    .WithEnvironment("WaitingRoom__InternalKey", waitingRoomInternalKey)
    .WithTokenValidation(identity, publicUrl);

if (builder.ExecutionContext.IsPublishMode)
{
    // Where the platform's proxies are (its ingress, in front of the gateway and between services):
    // the only senders whose X-Forwarded-For and -Proto a service believes. No default: trusting
    // every private network would let anything inside the network pick its address, so the
    // deployment must say (the environment's ingress subnet, or "none").
    var proxyNetworks = builder.AddParameter("proxy-networks");
    foreach (var service in new[] { gateway, identity, catalog, booking, waitingRoom, payments, paymentProvider, storefront }.OfType<IResourceBuilder<ProjectResource>>())
    {
        service.WithEnvironment("ForwardedHeaders__KnownNetworks", proxyNetworks);
    }
}

// Prometheus scraping every replica, with the rules of deploy/prometheus (run mode, when installed).
builder.AddPrometheus(Infrastructure.DataPath(builder));

// Something to buy on a developer's first run (run mode only; Demo:Sales=false turns it off).
builder.AddDemoSales(gateway, backofficeSecret);

builder.Build().Run();
return 0;
