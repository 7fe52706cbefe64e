using System.Security.Cryptography;
using Boxoffice.Identity.Connect;
using Boxoffice.Identity.Keys;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Boxoffice.UnitTests.Identity;

/// <summary>
/// Access and identity tokens are signed by the RSA key that signs now, whatever order OpenIddict's
/// unstable sort left the credentials in; the tokens only identity reads keep what OpenIddict chose.
/// </summary>
public sealed class RsaSignedTokensTests
{
    private static readonly RsaSecurityKey Signer = new(RSA.Create(2048)) { KeyId = "signer" };
    private static readonly RsaSecurityKey Next = new(RSA.Create(2048)) { KeyId = "next" };
    private static readonly InternalKeys Internal = InternalKeys.From("internal", RandomNumberGenerator.GetBytes(InternalKeys.SecretBytes));

    [Theory]
    [InlineData(TokenTypeIdentifiers.AccessToken, "signer")]
    [InlineData(TokenTypeIdentifiers.IdentityToken, "signer")]
    [InlineData(TokenTypeIdentifiers.RefreshToken, "internal")]
    [InlineData(TokenTypeIdentifiers.Private.AuthorizationCode, "internal")]
    public async Task Each_token_is_signed_by_the_key_meant_for_it(string tokenType, string signedBy)
    {
        var keys = new TokenKeys();
        keys.Load([Signer, Next], new RsaSecurityKey(RSA.Create(2048)) { KeyId = "encryption" }, Internal);
        var options = new OpenIddictServerOptions();
        // An order OpenIddict's unstable sort can leave: the symmetric key first, the next key ahead of the signer.
        options.SigningCredentials.Add(new SigningCredentials(Internal.Signing, SecurityAlgorithms.HmacSha256));
        options.SigningCredentials.Add(new SigningCredentials(Next, SecurityAlgorithms.RsaSha256));
        options.SigningCredentials.Add(new SigningCredentials(Signer, SecurityAlgorithms.RsaSha256));
        var context = new OpenIddictServerEvents.GenerateTokenContext(new OpenIddictServerTransaction { Options = options, Logger = NullLogger.Instance })
        {
            TokenType = tokenType,
            // What OpenIddict's AttachSecurityCredentials picked: its first credentials.
            SigningCredentials = options.SigningCredentials[0],
        };

        await new RsaSignedTokens(keys).HandleAsync(context);

        Assert.Equal(signedBy, context.SigningCredentials!.Key.KeyId);
    }

    [Fact]
    public void The_internal_secret_must_be_64_bytes()
    {
        Assert.Throws<CryptographicException>(() => InternalKeys.From("short", new byte[32]));
        var keys = InternalKeys.From("ok", RandomNumberGenerator.GetBytes(InternalKeys.SecretBytes));
        Assert.Equal(32, keys.Signing.Key.Length);
        Assert.Equal(32, keys.Encryption.Key.Length);
        Assert.False(keys.Signing.Key.AsSpan().SequenceEqual(keys.Encryption.Key));
    }
}
