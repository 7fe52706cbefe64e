using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

public static class BoxofficeApiExtensions
{
    /// <summary>
    /// What every service with a Boxoffice JSON API has: Boxoffice access tokens
    /// (<see cref="BoxofficeAuth.AddBoxofficeAuthentication{TBuilder}"/>) and one JSON shape: enums
    /// as kebab-case names, never numbers, and no text value holding NUL
    /// (<see cref="NulFreeTextConverter"/>). Each service calls
    /// <c>builder.Services.AddValidation()</c> itself: .NET's validation source generator describes
    /// only the request types of the project whose code calls it; called here, in ServiceDefaults,
    /// it would validate nothing at all (found by the flash-sale harness: quantity 0 was held).
    /// </summary>
    public static TBuilder AddBoxofficeApi<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.AddBoxofficeAuthentication();
        builder.Services.ConfigureHttpJsonOptions(options =>
        {
            if (RuntimeFeature.IsDynamicCodeSupported)
            {
                AddEnumsAsNames(options.SerializerOptions);
            }

            // Organizers' text reaches buyers' pages: escape HTML-significant characters (< > & ' ")
            // as \uXXXX, not the relaxed default, so a name is inert even where it is pasted into HTML.
            options.SerializerOptions.Encoder = JavaScriptEncoder.Default;
        });
        builder.Services.AddNulFreeJsonText();
        return builder;
    }

    /// <summary>
    /// NUL in a JSON text value is refused as the body is read, before any statement runs: a 400
    /// naming the field (<see cref="NulFreeTextConverter"/>). Part of <see cref="AddBoxofficeApi{TBuilder}"/>;
    /// a service whose JSON endpoints are not a Boxoffice API (identity's account endpoints) calls it itself.
    /// </summary>
    public static IServiceCollection AddNulFreeJsonText(this IServiceCollection services) =>
        services.ConfigureHttpJsonOptions(options => options.SerializerOptions.Converters.Add(new NulFreeTextConverter()));

    /// <summary>
    /// Enums as kebab-case names, for every enum type at once. That converter makes its per-enum
    /// converters at run time, which a native (AOT) build cannot: a service built so names its
    /// enums' converters in its JSON source-generation context instead.
    /// </summary>
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Called only where dynamic code is supported (RuntimeFeature.IsDynamicCodeSupported).")]
    private static void AddEnumsAsNames(JsonSerializerOptions options) =>
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false));
}
