namespace Boxoffice.Identity.Data;

/// <summary>A person who signs in: a buyer (self-registered), an organizer or staff (seeded).</summary>
internal sealed class User
{
    public Guid Id { get; set; }

    public required string Email { get; set; }

    /// <summary>Upper-case invariant form of <see cref="Email"/>; unique, so one address is one account.</summary>
    public required string NormalizedEmail { get; set; }

    /// <summary>ASP.NET Core's PBKDF2 password hash; never the password.</summary>
    public required string PasswordHash { get; set; }

    public required string[] Roles { get; set; }

    /// <summary>Staff: what they check tickets in for (<c>organizer:{id}</c>, <c>event:{id}</c>), carried in their tokens as <c>works_for</c>.</summary>
    public string[] WorksFor { get; set; } = [];

    public DateTimeOffset CreatedAt { get; set; }

    public static string Normalize(string email) => email.Trim().ToUpperInvariant();
}
