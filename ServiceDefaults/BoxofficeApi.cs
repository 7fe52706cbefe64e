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
    /// as kebab-case names, never numbers. Two things each service registers itself:
    /// <list type="bullet">
    /// <item><c>builder.Services.AddValidation()</c>: .NET's validation source generator describes
    /// only the request types of the project whose code calls it; called here, in ServiceDefaults,
    /// it would validate nothing at all (found by the flash-sale harness: quantity 0 was held).</item>
    /// <item>Boxoffice.Postgres's <c>UnstorableTextExceptionHandler</c>, for a service that owns a
    /// PostgreSQL database (ServiceDefaults does not know PostgreSQL).</item>
    /// </list>
    /// </summary>
    public static TBuilder AddBoxofficeApi<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.AddBoxofficeAuthentication();
        builder.Services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false));
            // Organizers' text reaches buyers' pages: escape HTML-significant characters (< > & ' ")
            // as \uXXXX, not the relaxed default, so a name is inert even where it is pasted into HTML.
            options.SerializerOptions.Encoder = JavaScriptEncoder.Default;
        });
        return builder;
    }
}
