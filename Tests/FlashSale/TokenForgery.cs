using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Boxoffice.FlashSale;

/// <summary>
/// What a hostile client does to the waiting room's tokens (<c>base64url(json).base64url(HMAC)</c>):
/// alters what one says and keeps its signature, or writes one of its own and signs it with a key
/// it made up. Every such token must be refused.
/// </summary>
internal static class TokenForgery
{
    /// <summary>The token's claims (<c>e</c> event, <c>b</c> buyer, <c>r</c> rank, <c>x</c> expiry, <c>k</c> kind), or null when it is not one.</summary>
    public static JsonObject? Claims(string token)
    {
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(Base64Url.DecodeFromChars(token.AsSpan(0, dot))) as JsonObject;
        }
        catch (Exception failure) when (failure is FormatException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>The token with its claims changed by <paramref name="change"/> and its original signature kept.</summary>
    public static string Altered(string token, Action<JsonObject> change)
    {
        var claims = Claims(token) ?? new JsonObject();
        change(claims);
        return Encode(claims) + token[token.IndexOf('.', StringComparison.Ordinal)..];
    }

    /// <summary>A token of the given claims, signed with a key nobody else has.</summary>
    public static string Forged(JsonObject claims) =>
        Encode(claims) + "." + Base64Url.EncodeToString(HMACSHA256.HashData(RandomNumberGenerator.GetBytes(32), System.Text.Encoding.UTF8.GetBytes(claims.ToJsonString())));

    private static string Encode(JsonObject claims) => Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(claims.ToJsonString()));
}
