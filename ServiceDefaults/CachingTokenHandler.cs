using System.Collections.Concurrent;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Validates JWTs like <see cref="JsonWebTokenHandler"/>, and remembers tokens that passed for a
/// short while, so a client's repeated requests pay the RSA signature check (about 60 µs) once
/// instead of on every request. A remembered token is still refused once it expires; a signing key
/// withdrawn from the JWKS stops being honoured within <see cref="MaxAge"/>. Only successes are
/// remembered, under the exact token text, and each request gets its own copy of the identity.
/// </summary>
internal sealed class CachingTokenHandler(TimeProvider time) : JsonWebTokenHandler
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(2);
    private const int MaxEntries = 50_000;

    private readonly ConcurrentDictionary<string, (TokenValidationResult Result, DateTimeOffset Until)> _validated = new(StringComparer.Ordinal);

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        var now = time.GetUtcNow();
        if (_validated.TryGetValue(token, out var hit))
        {
            if (hit.Until > now)
            {
                return Copy(hit.Result);
            }

            _validated.TryRemove(token, out _);
        }

        var result = await base.ValidateTokenAsync(token, validationParameters);
        if (result.IsValid && result.SecurityToken is JsonWebToken jwt)
        {
            if (_validated.Count >= MaxEntries)
            {
                Evict(now);
            }

            var until = new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero);
            _validated[token] = (result, until < now + MaxAge ? until : now + MaxAge);
        }

        return result;
    }

    private static TokenValidationResult Copy(TokenValidationResult cached) => new()
    {
        IsValid = true,
        ClaimsIdentity = cached.ClaimsIdentity.Clone(),
        SecurityToken = cached.SecurityToken,
        Issuer = cached.Issuer,
        TokenType = cached.TokenType,
    };

    /// <summary>Drops expired entries, or everything if none has expired: the cache only ever saves work.</summary>
    private void Evict(DateTimeOffset now)
    {
        foreach (var (token, entry) in _validated)
        {
            if (entry.Until <= now)
            {
                _validated.TryRemove(token, out _);
            }
        }

        if (_validated.Count >= MaxEntries)
        {
            _validated.Clear();
        }
    }
}
