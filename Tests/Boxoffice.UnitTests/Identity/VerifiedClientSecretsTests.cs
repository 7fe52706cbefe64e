using Boxoffice.Identity.Connect;

namespace Boxoffice.UnitTests.Identity;

/// <summary>
/// The token endpoint remembers a client secret that passed OpenIddict's PBKDF2 check, so a crowd
/// signing in does not pay it per token; it must never remember what did not pass, and a secret
/// must stop working the moment its client's stored hash changes.
/// </summary>
public sealed class VerifiedClientSecretsTests
{
    private const string StoredHash = "AQAAAAEAACcQAAAAEPbkdf2-stored-hash";

    [Fact]
    public void Only_a_secret_that_was_verified_is_remembered()
    {
        var verified = new VerifiedClientSecrets(new Clock());

        Assert.False(verified.Contains("the-secret", StoredHash));
        verified.Add("the-secret", StoredHash);

        Assert.True(verified.Contains("the-secret", StoredHash));
        Assert.False(verified.Contains("the-secreT", StoredHash));
        Assert.False(verified.Contains("the-secret ", StoredHash));
        Assert.False(verified.Contains("", StoredHash));
    }

    [Fact]
    public void A_new_stored_hash_forgets_the_old_secret()
    {
        var verified = new VerifiedClientSecrets(new Clock());
        verified.Add("old-secret", StoredHash);

        Assert.False(verified.Contains("old-secret", StoredHash + "-rotated"));
    }

    [Fact]
    public void The_separator_keeps_hash_and_secret_apart()
    {
        var verified = new VerifiedClientSecrets(new Clock());
        verified.Add("b", "a");

        Assert.False(verified.Contains("", "a\0b"));
        Assert.False(verified.Contains("a\0b", ""));
    }

    [Fact]
    public void A_remembered_secret_expires()
    {
        var clock = new Clock();
        var verified = new VerifiedClientSecrets(clock);
        verified.Add("the-secret", StoredHash);

        clock.Now += VerifiedClientSecrets.Lifetime - TimeSpan.FromSeconds(1);
        Assert.True(verified.Contains("the-secret", StoredHash));
        clock.Now += TimeSpan.FromSeconds(1);
        Assert.False(verified.Contains("the-secret", StoredHash));
    }

    [Fact]
    public void Two_replicas_share_nothing()
    {
        var first = new VerifiedClientSecrets(new Clock());
        var second = new VerifiedClientSecrets(new Clock());
        first.Add("the-secret", StoredHash);

        Assert.False(second.Contains("the-secret", StoredHash));
    }

    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 4, 9, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
