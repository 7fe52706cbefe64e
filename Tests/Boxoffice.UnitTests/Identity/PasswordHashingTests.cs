using System.Buffers.Binary;
using Boxoffice.Identity.Account;
using Boxoffice.Identity.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Boxoffice.UnitTests.Identity;

/// <summary>
/// A sign-in costs the same whatever the account's hash: what an older hash saves is spent
/// again (PasswordHashing.PadToCurrentCost), so timing does not tell which accounts exist.
/// </summary>
public sealed class PasswordHashingTests
{
    private static string HashWith(int iterations)
    {
        var hasher = new PasswordHasher<User>(Options.Create(new PasswordHasherOptions { IterationCount = iterations }));
        return hasher.HashPassword(null!, "correct horse battery");
    }

    [Fact]
    public void A_current_hash_misses_nothing()
    {
        Assert.Equal(0, PasswordHashing.MissingIterations(HashWith(PasswordHashing.Iterations)));
        Assert.Equal(0, PasswordHashing.MissingIterations(HashWith(PasswordHashing.Iterations + 1)));
    }

    [Theory]
    [InlineData(100_000)]
    [InlineData(10_000)]
    [InlineData(1)]
    public void An_older_v3_hash_misses_the_difference(int iterations)
    {
        var hash = HashWith(iterations);
        Assert.Equal(iterations, (int)BinaryPrimitives.ReadUInt32BigEndian(Convert.FromBase64String(hash).AsSpan(5, 4)));

        Assert.Equal(PasswordHashing.Iterations - iterations, PasswordHashing.MissingIterations(hash));
    }

    [Fact]
    public void A_v2_hash_or_one_that_does_not_parse_misses_all_of_todays_work()
    {
        var v2 = new PasswordHasher<User>(Options.Create(new PasswordHasherOptions { CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV2 }))
            .HashPassword(null!, "correct horse battery");

        foreach (var hash in new[] { v2, "", "not base64 at all", Convert.ToBase64String([0x01, 0x02]), null, new string('A', 5000) })
        {
            Assert.Equal(PasswordHashing.Iterations, PasswordHashing.MissingIterations(hash));
        }
    }
}
