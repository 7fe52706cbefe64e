using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Validation;

// .NET 10 marks the resolver and its context "for evaluation" (ASP0029): the services only call
// AddValidation(), this helper drives what it registers. Should that API change, this file
// changes, not a service.
#pragma warning disable ASP0029

namespace Boxoffice.UnitTests;

/// <summary>
/// Runs a request through the validation its service's endpoints run: the resolver .NET's
/// validation generator wrote into the service's assembly (see ValidationWiringTests), so the
/// attributes on a request type are checked as a client meets them, without a server.
/// </summary>
internal static class RequestValidation
{
    /// <summary>The errors by field (the keys in any case: compare them ignoring it); empty when the request passes.</summary>
    public static async Task<Dictionary<string, string[]>> ErrorsAsync(object request)
    {
        var resolver = request.GetType().Assembly.GetTypes().Single(type => type.Name.EndsWith("GeneratedValidatableInfoResolver", StringComparison.Ordinal));
        var options = new ValidationOptions();
        options.Resolvers.Add((IValidatableInfoResolver)Activator.CreateInstance(resolver, nonPublic: true)!);
        if (!options.TryGetValidatableTypeInfo(request.GetType(), out var info))
        {
            throw new Xunit.Sdk.XunitException($"{request.GetType().Name} is not validated by its service.");
        }

        var context = new ValidateContext { ValidationContext = new ValidationContext(request), ValidationOptions = options };
        await info.ValidateAsync(request, context, TestContext.Current.CancellationToken);
        return context.ValidationErrors is { } errors
            ? new Dictionary<string, string[]>(errors, StringComparer.OrdinalIgnoreCase)
            : new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
    }
}
