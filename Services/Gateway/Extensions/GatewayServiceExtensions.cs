using Boxoffice.Gateway.RateLimiting;
using Boxoffice.Gateway.Security;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Boxoffice.Gateway.Extensions;

internal static class GatewayServiceExtensions
{
    public const string CorsSection = "Cors:AllowedOrigins";

    public static IHostApplicationBuilder AddGatewayServices(this WebApplicationBuilder builder)
    {
        var limits = builder.Configuration.GetSection("Gateway:Limits").Get<RequestLimitSettings>() ?? new RequestLimitSettings();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = limits.MaxRequestBodyBytes;
            kestrel.Limits.MaxRequestHeaderCount = limits.MaxRequestHeaderCount;
            kestrel.Limits.MaxRequestHeadersTotalSize = limits.MaxRequestHeadersTotalBytes;
            kestrel.Limits.MaxRequestLineSize = limits.MaxRequestLineBytes;
            kestrel.Limits.RequestHeadersTimeout = limits.RequestHeadersTimeout;
            kestrel.Limits.KeepAliveTimeout = limits.KeepAliveTimeout;
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(limits.MinRequestBodyBytesPerSecond, TimeSpan.FromSeconds(5));
        });

        builder.AddBoxofficeAuthentication();
        // Rate limiting fails open: while Redis is away requests go through at once, and the gateway
        // stays in the load balancer. A Redis outage costs protection, never availability.
        builder.AddBoxofficeRedis();
        builder.Services.AddGatewayRateLimiting(builder.Configuration);

        // Only listed origins; none by default.
        var origins = builder.Configuration.GetSection(CorsSection).Get<string[]>() ?? [];
        builder.Services.AddCors(cors => cors.AddDefaultPolicy(policy => policy
            .WithOrigins(origins)
            .WithMethods(HttpMethods.Get, HttpMethods.Head, HttpMethods.Post, HttpMethods.Put, HttpMethods.Patch, HttpMethods.Delete)
            .WithHeaders("Authorization", "Content-Type", "Idempotency-Key", "If-None-Match", RequestCorrelation.Header,
                Boxoffice.Contracts.WaitingRoom.WaitingRoomTokens.AdmissionHeader, Boxoffice.Contracts.WaitingRoom.WaitingRoomTokens.TicketHeader)
            .WithExposedHeaders(RequestCorrelation.Header, "Retry-After", "ETag", "Location")
            .SetPreflightMaxAge(TimeSpan.FromMinutes(10))));

        // The waiting room: status answered here from signed tickets and each queue's snapshot; admissions checked before holds.
        builder.Services.Configure<WaitingRoom.WaitingRoomSettings>(builder.Configuration.GetSection(WaitingRoom.WaitingRoomSettings.Section));
        builder.Services.AddSingleton(new Boxoffice.Contracts.WaitingRoom.WaitingRoomTokens(
            builder.Configuration[Boxoffice.Contracts.WaitingRoom.WaitingRoomTokens.SigningKeySetting] ?? string.Empty));
        builder.Services.AddHttpClient(WaitingRoom.QueueSnapshots.ClientName, (services, client) =>
        {
            var settings = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<WaitingRoom.WaitingRoomSettings>>().Value;
            client.BaseAddress = settings.Service;
            client.DefaultRequestHeaders.Add(Contracts.WaitingRoom.InternalKey.Header, settings.InternalKey);
        });
        builder.Services.AddSingleton<WaitingRoom.QueueSnapshots>().AddHostedService(services => services.GetRequiredService<WaitingRoom.QueueSnapshots>());
        builder.Services.AddSingleton<WaitingRoom.SeenBuyers>().AddHostedService(services => services.GetRequiredService<WaitingRoom.SeenBuyers>());

        builder.Services.AddReverseProxy()
            .LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"))
            .AddServiceDiscoveryDestinationResolver()
            .AddTransforms<Routing.HonouredKeys>();
        builder.Services.AddOutputCache(options => options.AddPolicy(Routing.PublicCountsCachePolicy.Name, new Routing.PublicCountsCachePolicy()));
        // A request whose connection broke under it is sent once more when that is safe.
        builder.Services.AddSingleton<Yarp.ReverseProxy.Forwarder.IForwarderHttpClientFactory, Routing.ReplayingForwarderHttpClientFactory>();
        return builder;
    }
}
