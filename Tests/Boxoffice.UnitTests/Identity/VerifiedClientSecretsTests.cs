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
        // Without a separator, hash "a" + secret "bc" and hash "ab" + secret "c" would be one entry.
        var verified = new VerifiedClientSecrets(new Clock());
        verified.Add("bc", "a");

        Assert.True(verified.Contains("bc", "a"));
        Assert.False(verified.Contains("c", "ab"));
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
    public void Past_its_capacity_it_remembers_nothing_new_until_entries_expire()
    {
        var clock = new Clock();
        var verified = new VerifiedClientSecrets(clock);
        for (var i = 0; i < VerifiedClientSecrets.Capacity; i++)
        {
            verified.Add($"secret-{i}", StoredHash);
        }

        verified.Add("one-too-many", StoredHash);
        Assert.False(verified.Contains("one-too-many", StoredHash));
        Assert.True(verified.Contains("secret-0", StoredHash));

        clock.Now += VerifiedClientSecrets.Lifetime;
        verified.Add("after-expiry", StoredHash);
        Assert.True(verified.Contains("after-expiry", StoredHash));
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
