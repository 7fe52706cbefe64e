using System.ComponentModel.DataAnnotations;

namespace Boxoffice.Storefront.Extensions;

/// <summary>Where the storefront is seen from and how it signs buyers in (section <c>Storefront</c>).</summary>
internal sealed class StorefrontOptions
{
    public const string Section = "Storefront";

    /// <summary>
    /// The gateway's public URL, which browsers see the pages at and which issues the tokens
    /// (<c>iss</c>): the sign-in callback and the sign-out return are built from it.
    /// </summary>
    [Required, Url]
    public string PublicUrl { get; set; } = "";

    /// <summary>The storefront's client at the identity server (a confidential client: code flow with PKCE and a secret).</summary>
    [Required]
    public string ClientId { get; set; } = "boxoffice-storefront";

    [Required, MinLength(16)]
    public string ClientSecret { get; set; } = "";

    /// <summary>How long a session lasts without a visit; each visit extends it.</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromHours(8);

    /// <summary>Events on one page of the bill.</summary>
    [Range(1, 100)]
    public int PageSize { get; set; } = 12;

    /// <summary>Whether cookies are sent only over HTTPS: whenever the public URL is HTTPS.</summary>
    public bool SecureCookies => PublicUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    public string Url(string path) => PublicUrl.TrimEnd('/') + path;
}
