using Microsoft.AspNetCore.Http.HttpResults;

namespace Boxoffice.PaymentProvider.Admin;

/// <summary>The chaos in force: read it, or replace it whole while the provider runs (tests, demos, drills).</summary>
internal static partial class ChaosApi
{
    public static IEndpointRouteBuilder MapChaosApi(this IEndpointRouteBuilder routes)
    {
        var admin = routes.MapGroup("/admin/chaos").WithTags("Admin");
        admin.MapGet("/", (ChaosState chaos) => TypedResults.Ok(chaos.Current)).WithName("GetChaos");
        admin.MapPut("/", ReplaceChaos).WithName("ReplaceChaos");
        return routes;
    }

    /// <summary>Fields left out are zero: the body is the whole new setting, not a patch.</summary>
    private static Results<Ok<ChaosSettings>, ValidationProblem> ReplaceChaos(ChaosSettings settings, ChaosState chaos, ILoggerFactory loggers)
    {
        // The attributes were checked before this runs; the rules used at start are checked too, so the two never disagree.
        if (ChaosRules.Check(settings) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        chaos.Replace(settings);
        LogReplaced(loggers.CreateLogger(typeof(ChaosApi)), settings);
        return TypedResults.Ok(settings);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chaos replaced: {Chaos}")]
    private static partial void LogReplaced(ILogger logger, ChaosSettings chaos);
}
