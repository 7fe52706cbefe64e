using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Every service's OpenAPI document, one shape: served at <c>/openapi/v1.json</c> (through the
/// gateway at <c>/api/{service}/openapi/v1.json</c>), naming the gateway as its server, with the
/// identity server's OAuth2 flows as its security scheme and, on each operation, the scope its
/// policy needs (an anonymous operation lists none). The gateway's route table and these
/// documents are checked against each other by a whole-app test (ApiInventoryTests).
/// </summary>
public static class OpenApiDocuments
{
    public const string Path = "/openapi/{documentName}.json";

    public const string SchemeName = "oauth2";

    /// <param name="gatewayPrefix">Where the gateway serves the service, such as <c>/api/booking</c>; empty for the gateway's own.</param>
    /// <param name="publicUrl">The gateway's public URL; by default the token issuer the service validates (<c>Authentication:Issuer</c>).</param>
    public static IHostApplicationBuilder AddBoxofficeOpenApi(this IHostApplicationBuilder builder, string title, string description, string gatewayPrefix, string? publicUrl = null)
    {
        publicUrl = (publicUrl ?? builder.Configuration["Authentication:Issuer"])?.TrimEnd('/') ?? "";
        builder.Services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = title;
                document.Info.Description = description;
                document.Servers = [new OpenApiServer { Url = $"{publicUrl}{gatewayPrefix}", Description = "Through the gateway" }];
                document.AddComponent<IOpenApiSecurityScheme>(SchemeName, Scheme(publicUrl));
                return Task.CompletedTask;
            });
            options.AddOperationTransformer(async (operation, context, _) =>
            {
                var metadata = context.Description.ActionDescriptor.EndpointMetadata;
                var authorize = metadata.OfType<IAuthorizeData>().ToList();
                if (metadata.OfType<IAllowAnonymous>().Any()
                    || (authorize.Count == 0 && await context.ApplicationServices.GetRequiredService<IAuthorizationPolicyProvider>().GetFallbackPolicyAsync() is null))
                {
                    return;
                }

                // No policy named: the fallback policy, a valid token of any scope.
                var scopes = authorize
                    .Select(data => data.Policy is { } policy && BoxofficeAuth.PolicyScopes.TryGetValue(policy, out var scope) ? scope : null)
                    .OfType<string>().Distinct().ToList();
                operation.Security ??= [];
                operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, context.Document)] = scopes });
            });
        });
        return builder;
    }

    /// <summary>The document, anonymous: clients and the inventory test read it without a token.</summary>
    public static IEndpointConventionBuilder MapBoxofficeOpenApi(this WebApplication app) => app.MapOpenApi(Path).AllowAnonymous();

    private static OpenApiSecurityScheme Scheme(string issuer)
    {
        var scopes = BoxofficeAuth.Scopes.All.ToDictionary(scope => scope, scope => BoxofficeAuth.RequiredRole[scope] is { } role ? $"needs role {role}" : "anyone");
        return new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.OAuth2,
            Description = "Tokens from the Boxoffice identity server: people with the authorization code flow and PKCE (S256), machines with client credentials.",
            Flows = new OpenApiOAuthFlows
            {
                AuthorizationCode = new OpenApiOAuthFlow
                {
                    AuthorizationUrl = new Uri($"{issuer}/connect/authorize", UriKind.RelativeOrAbsolute),
                    TokenUrl = new Uri($"{issuer}/connect/token", UriKind.RelativeOrAbsolute),
                    RefreshUrl = new Uri($"{issuer}/connect/token", UriKind.RelativeOrAbsolute),
                    Scopes = new Dictionary<string, string>(scopes),
                },
                ClientCredentials = new OpenApiOAuthFlow
                {
                    TokenUrl = new Uri($"{issuer}/connect/token", UriKind.RelativeOrAbsolute),
                    Scopes = new Dictionary<string, string>(scopes),
                },
            },
        };
    }
}
