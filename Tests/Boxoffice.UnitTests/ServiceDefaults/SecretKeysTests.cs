namespace Boxoffice.UnitTests.ServiceDefaults;

/// <summary>The one comparison of presented keys (the provider's API keys, the waiting room's internal key).</summary>
public sealed class SecretKeysTests
{
    private const string Key = "k3y-of-exactly-thirty-two-chars!";

    [Fact]
    public void The_key_matches_and_nothing_near_it_does()
    {
        Assert.True(SecretKeys.Matches(Key, Key));
        Assert.True(SecretKeys.Matches(Key, SecretKeys.Digest(Key)));

        foreach (var near in new[] { Key[..^1], Key + "!", Key.ToUpperInvariant(), " " + Key, "", Key.Replace('k', 'K') })
        {
            Assert.False(SecretKeys.Matches(near, Key), near);
        }
    }

    [Fact]
    public void Nothing_presented_or_nothing_configured_never_matches()
    {
        Assert.False(SecretKeys.Matches(null, Key));
        Assert.False(SecretKeys.Matches("", ""));
        Assert.False(SecretKeys.Matches(null, SecretKeys.Digest(Key)));
    }
}
