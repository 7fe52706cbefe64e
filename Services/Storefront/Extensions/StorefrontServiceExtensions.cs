using Boxoffice.Storefront.Api;
using Boxoffice.Storefront.Components;
using Boxoffice.Storefront.Session;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.AspNetCore.Http.Features;
using StackExchange.Redis;

namespace Boxoffice.Storefront.Extensions;

internal static class StorefrontServiceExtensions
{
    /// <summary>Redis key of the Data Protection key ring every replica shares (sessions, antiforgery and queue cookies).</summary>
    private const string KeyRingKey = "storefront:data-protection-keys";

    public static IHostApplicationBuilder AddStorefront(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<StorefrontOptions>().BindConfiguration(StorefrontOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        // Sessions and the key ring live in Redis, so any replica serves any buyer (ADR 0014).
        builder.AddBoxofficeRedis();
        services.AddDataProtection().SetApplicationName("boxoffice-storefront");
        services.AddOptions<KeyManagementOptions>().Configure<IConnectionMultiplexer>((options, redis) =>
            options.XmlRepository = new RedisXmlRepository(() => redis.GetDatabase(), KeyRingKey));

        services.AddBuyerSessions(builder.Configuration);
        services.AddBoxofficeApi();
        services.AddSingleton<Actions.ProofOfWorkSolver>();

        services.AddRazorComponents();
        services.AddCascadingAuthenticationState();
        services.AddHttpContextAccessor();
        // Error answers (a 404, a bad form, a failure) are pages here, not problem+json: this writer
        // goes before the default one.
        services.Insert(0, ServiceDescriptor.Singleton<Microsoft.AspNetCore.Http.IProblemDetailsWriter, ProblemPageWriter>());
        services.Configure<FormOptions>(options =>
        {
            // The largest form here is a seat selection: a few hundred fields at most.
            options.ValueCountLimit = 1024;
            options.MultipartBodyLengthLimit = 64 * 1024;
        });
        return builder;
    }
}
