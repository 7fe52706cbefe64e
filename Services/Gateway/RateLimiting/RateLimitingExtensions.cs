using System.Globalization;
using System.Threading.RateLimiting;
using Boxoffice.Gateway.Extensions;
using Microsoft.AspNetCore.RateLimiting;

namespace Boxoffice.Gateway.RateLimiting;

/// <summary>Section <c>RateLimiting</c>: one bucket setting per policy and kind of caller.</summary>
internal sealed class RateLimitingSettings
{
    public const string Section = "RateLimiting";

    /// <summary>Per signed-in user or machine client (the token's <c>sub</c>).</summary>
    public TokenBucketSettings Authenticated { get; set; } = new() { TokenLimit = 100, TokensPerSecond = 50 };

    /// <summary>Per client address, for anonymous callers.</summary>
    public TokenBucketSettings Anonymous { get; set; } = new() { TokenLimit = 60, TokensPerSecond = 20 };

    /// <summary>Holds and checkout: a flash-sale crowd must not let one caller grab more than a fair share.</summary>
    public TokenBucketSettings Strict { get; set; } = new() { TokenLimit = 10, TokensPerSecond = 1 };

    /// <summary>Sign-in, registration and tokens, per client address: slows password guessing.</summary>
    public TokenBucketSettings SignIn { get; set; } = new() { TokenLimit = 30, TokensPerSecond = 1 };

    /// <summary>
    /// Joining a waiting room's queue, per client address: one account gets one place anyway, so this
    /// slows a bot farm signing up accounts by the thousand behind one address, while a household or
    /// an office behind one address still gets in at once.
    /// </summary>
    public TokenBucketSettings QueueJoin { get; set; } = new() { TokenLimit = 20, TokensPerSecond = 5 };
}

internal static class RateLimitingExtensions
{
    /// <summary>Policy names, as routes name them in <c>RateLimiterPolicy</c>.</summary>
    public const string Standard = "standard";
    public const string Strict = "strict";
    public const string SignIn = "sign-in";
    public const string QueueJoin = "queue-join";

    public static IServiceCollection AddGatewayRateLimiting(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection(RateLimitingSettings.Section).Get<RateLimitingSettings>() ?? new RateLimitingSettings();
        services.AddSingleton<RedisTokenBucket>();
        services.AddSingleton(TimeProvider.System);
        services.AddRateLimiter(options =>
        {
            options.AddPolicy(Standard, context => Partition(context, Standard, context.User.Identity?.IsAuthenticated == true ? settings.Authenticated : settings.Anonymous));
            options.AddPolicy(Strict, context => Partition(context, Strict, settings.Strict));
            options.AddPolicy(SignIn, context => Partition(context, SignIn, settings.SignIn, byAddressOnly: true));
            options.AddPolicy(QueueJoin, context => Partition(context, QueueJoin, settings.QueueJoin, byAddressOnly: true));
            options.RejectionStatusCode = ProblemTypes.RateLimited.Status;
            options.OnRejected = RejectAsync;
        });
        return services;
    }

    private static RateLimitPartition<string> Partition(HttpContext context, string policy, TokenBucketSettings bucket, bool byAddressOnly = false)
    {
        var subject = byAddressOnly ? null : context.User.FindFirst("sub")?.Value;
        var key = subject is not null
            ? $"{policy}:sub:{subject}"
            : $"{policy}:ip:{ClientAddress.Key(context.Connection.RemoteIpAddress)}";
        return RateLimitPartition.Get(key, partition => new RedisTokenBucketLimiter(
            context.RequestServices.GetRequiredService<RedisTokenBucket>(), partition, bucket, TimeProvider.System));
    }

    /// <summary>429 with Retry-After and a problem+json body (the middleware's default is a bare 503).</summary>
    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var http = rejected.HttpContext;
        GatewayMetrics.RateLimited(http.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName ?? "none");
        var seconds = RetryAfter.Set(http.Response, rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.Zero);
        await Problems.Of(ProblemTypes.RateLimited, title: "Too many requests.", detail: $"Try again in {seconds} s.")
            .ExecuteAsync(http);
    }
}
