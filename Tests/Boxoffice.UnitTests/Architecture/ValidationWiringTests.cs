using System.Reflection;

namespace Boxoffice.UnitTests.Architecture;

/// <summary>
/// .NET's validation source generator describes the request types of the project whose code calls
/// <c>AddValidation()</c>, and only those. Called anywhere else (a shared setup in ServiceDefaults
/// was tried), it compiles, starts, and validates nothing: a hold of quantity 0 was taken. Each
/// service with validated request types must carry its own generated resolver.
/// </summary>
public sealed class ValidationWiringTests
{
    [Theory]
    [InlineData("Booking")]
    [InlineData("Catalog")]
    [InlineData("Identity")]
    [InlineData("PaymentProvider")]
    public void A_service_with_validated_requests_carries_its_own_generated_validation(string service)
    {
        var assembly = Assembly.Load(new AssemblyName(Projects.AssemblyOf(service)));

        var resolvers = assembly.GetTypes().Where(type => type.Name.EndsWith("GeneratedValidatableInfoResolver", StringComparison.Ordinal)).ToList();

        Assert.True(resolvers.Count == 1,
            $"{assembly.GetName().Name} has no generated validation resolver: its request types are not validated. " +
            "Call builder.Services.AddValidation() in the service's own code (see AddBoxofficeApi).");
    }
}
