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
        // Without the internal key the gateway could not read any queue: it refuses to start, saying so.
        builder.Services.AddOptions<WaitingRoom.WaitingRoomSettings>()
            .Bind(builder.Configuration.GetSection(WaitingRoom.WaitingRoomSettings.Section))
            .Validate(settings => settings.InternalKey.Length >= Contracts.WaitingRoom.InternalKey.MinLength,
                $"{Contracts.WaitingRoom.InternalKey.Setting} must be set to the waiting room's internal key, at least {Contracts.WaitingRoom.InternalKey.MinLength} characters (AppHost parameter waiting-room-internal-key).")
            .ValidateOnStart();
        builder.Services.AddSingleton(new Boxoffice.Contracts.WaitingRoom.WaitingRoomTokens(
            builder.Configuration[Boxoffice.Contracts.WaitingRoom.WaitingRoomTokens.SigningKeySetting] ?? string.Empty));
        // Two clients of the waiting room: the internal one (snapshots, buyers seen) carries the
        // internal key; the one that asks for a buyer's admission, as the buyer, never does.
        builder.Services.AddHttpClient(WaitingRoom.QueueSnapshots.InternalClientName, (services, client) =>
        {
            var settings = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<WaitingRoom.WaitingRoomSettings>>().Value;
            client.BaseAddress = settings.Service;
            client.DefaultRequestHeaders.Add(Contracts.WaitingRoom.InternalKey.Header, settings.InternalKey);
        });
        builder.Services.AddHttpClient(WaitingRoom.QueueSnapshots.BuyerClientName, (services, client) =>
            client.BaseAddress = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<WaitingRoom.WaitingRoomSettings>>().Value.Service);
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
