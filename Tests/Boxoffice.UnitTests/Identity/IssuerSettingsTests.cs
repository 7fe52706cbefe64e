using System.ComponentModel.DataAnnotations;
using Boxoffice.Identity.Seeding;

namespace Boxoffice.UnitTests.Identity;

/// <summary>Tokens name the address clients call: an https one wherever TLS is required.</summary>
public sealed class IssuerSettingsTests
{
    [Theory]
    [InlineData("https://tickets.example.org", true, true)]
    [InlineData("https://tickets.example.org/", true, true)]
    [InlineData("http://localhost:5000", false, true)]
    [InlineData("http://gateway.internal.example.azurecontainerapps.io", true, false)]
    [InlineData("http://tickets.example.org", true, false)]
    public void An_issuer_is_accepted_only_over_https_while_https_is_required(string issuer, bool requireHttps, bool valid)
    {
        var settings = new IdentitySettings { Issuer = issuer, RequireHttps = requireHttps };

        var results = new List<ValidationResult>();
        Validator.TryValidateObject(settings, new ValidationContext(settings), results, validateAllProperties: true);

        Assert.Equal(valid, results.Count == 0);
        if (!valid)
        {
            var error = Assert.Single(results);
            Assert.Equal([nameof(IdentitySettings.Issuer)], error.MemberNames);
            Assert.Contains("public-url", error.ErrorMessage, StringComparison.Ordinal);
        }
    }
}
